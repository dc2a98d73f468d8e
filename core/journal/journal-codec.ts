/**
 * Journal entries as bytes. Job and sink entries are most of a journal and carry items that are already
 * msgpack bytes, so they use a flat binary layout (lengths and raw bytes, one allocation per entry) instead
 * of wrapping every item in a msgpack structure; the header is msgpack.
 *
 *   header: 0x00, msgpack [format, name, flow sha256, {fn: module sha256}, {source: file sha256}, started]
 *   jobs:   0x01, u32 count, per job: str stage, str? tag, bytes input, u16 outputs, per output: u16 port, bytes
 *   sink:   0x02, u8 layout, str sink, f64 position (-1: none), u32 count, then per item
 *           layout 0 (tagged items): str? tag, bytes item
 *           layout 1 (untagged): u8 0, u32 LE length, item — the packed-outputs layout of the job stream
 *           (core/protocol/packed-outputs.ts), so a chunk's packed outputs are written as they came
 *   chunks: 0x03, u32 count, per chunk: str stage, str? tag, f64 start, u32 items, f64 step, u32 outputs,
 *           bytes packed outputs (packed-outputs.ts)
 * where str = u16 length + UTF-8, str? = u16 0xffff for none, else str, bytes = u32 length + raw bytes.
 * Numbers are big-endian except inside packed outputs (journal format 2).
 */
import type { Emitted } from '../abi/abi.js'
import { decodeValue, encodeValue } from '../codec.js'
import { nameBytes, Reader, Writer } from './byte-io.js'
import { countOnPorts, isPackedOutputs, packOutputs, unpackOutputs } from '../protocol/packed-outputs.js'

const fromUtf8 = new TextDecoder('utf-8', { fatal: true })
import { JOURNAL_FORMAT, JournalError } from './journal.js'
import type { ChunkRecord, JobRecord, JournalEntry, SinkRecord } from './journal.js'

const HEADER = 0
const JOBS = 1
const SINK = 2
/** A kind of its own (not a job with a special input): no item's key can collide with a chunk's. */
const CHUNKS = 3
export function encodeEntry (entry: JournalEntry): Uint8Array {
  switch (entry.kind) {
    case 'header': {
      const h = entry.header
      const body = encodeValue([h.format, h.name, h.fingerprint.flow, h.fingerprint.modules, h.fingerprint.inputs, h.started])
      const w = new Writer(1 + body.length)
      w.u8(HEADER)
      w.raw(body)
      return w.bytes
    }
    case 'jobs':
      return encodeJobs(entry.jobs)
    case 'sink':
      return encodeSink(entry.record)
    case 'chunks':
      return encodeChunks(entry.chunks)
  }
}

function encodeChunks (chunks: readonly ChunkRecord[]): Uint8Array {
  let size = 5
  // a chunk's outputs usually came packed from the worker; others are packed here
  const packedOutputs = chunks.map(c => c.packed != null ? { bytes: c.packed, count: countOutputs(c.packed) } : { bytes: packOutputs(c.outputs), count: c.outputs.length })
  for (let i = 0; i < chunks.length; i++) size += stageAndTagSize(chunks[i]) + 8 + 4 + 8 + 4 + 4 + packedOutputs[i].bytes.length
  const w = new Writer(size)
  w.u8(CHUNKS)
  w.u32(chunks.length)
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i]
    w.str(nameBytes(c.stage))
    w.str(c.tag != null ? nameBytes(c.tag) : undefined)
    w.f64(c.start)
    w.u32(c.count)
    w.f64(c.step)
    // a chunk of 65,536 items may emit more than a u16 can count
    w.u32(packedOutputs[i].count)
    w.bytesField(packedOutputs[i].bytes)
  }
  return w.bytes
}

function encodeJobs (jobs: readonly JobRecord[]): Uint8Array {
  let size = 5
  for (const job of jobs) size += stageAndTagSize(job) + 4 + job.input.length + 2 + outputsSize(job.outputs)
  const w = new Writer(size)
  w.u8(JOBS)
  w.u32(jobs.length)
  for (const job of jobs) {
    w.str(nameBytes(job.stage))
    w.str(job.tag != null ? nameBytes(job.tag) : undefined)
    w.bytesField(job.input)
    w.u16(job.outputs.length)
    writeOutputs(w, job.outputs)
  }
  return w.bytes
}

/** Bytes of a record's stage and tag fields (each a u16 length and its UTF-8). */
function stageAndTagSize (record: { readonly stage: string, readonly tag?: string }): number {
  return 2 + nameBytes(record.stage).length + 2 + (record.tag != null ? nameBytes(record.tag).length : 0)
}

/** Bytes of an output list's entries (port u16, length u32, bytes), without its count. */
function outputsSize (outputs: readonly Emitted[]): number {
  let size = 0
  for (const o of outputs) size += 2 + 4 + o.bytes.length
  return size
}

function writeOutputs (w: Writer, outputs: readonly Emitted[]): void {
  for (const o of outputs) {
    w.u16(o.port)
    w.bytesField(o.bytes)
  }
}

function encodeSink (record: SinkRecord): Uint8Array {
  const { items, tags, blocks } = record
  if (tags != null && blocks != null) throw new JournalError('a sink record holds tagged items or packed blocks, not both')
  const head = 1 + 1 + 2 + nameBytes(record.sink).length + 8 + 4
  let size = head
  let count = items.length
  for (let i = 0; i < items.length; i++) {
    const tag = tags?.[i]
    size += (tags != null ? 2 + (tag != null ? nameBytes(tag).length : 0) : 1) + 4 + items[i].length
  }
  for (const block of blocks ?? []) {
    size += block.length
    count += countOutputs(block)
  }
  const w = new Writer(size)
  w.u8(SINK)
  w.u8(tags != null ? TAGGED : PACKED)
  w.str(nameBytes(record.sink))
  w.f64(record.position ?? -1)
  w.u32(count)
  if (tags != null) {
    for (let i = 0; i < items.length; i++) {
      const tag = tags[i]
      w.str(tag != null ? nameBytes(tag) : undefined)
      w.bytesField(items[i])
    }
    return w.bytes
  }
  if (items.length > 0) w.raw(packOutputs(items.map(bytes => ({ port: 0, bytes }))))
  for (const block of blocks ?? []) w.raw(block)
  return w.bytes
}

/** A sink entry's layouts of its items. */
const TAGGED = 0
const PACKED = 1

/** Outputs in a packed block (any port: a port is one byte). */
const countOutputs = (packed: Uint8Array): number => countOnPorts(packed, 256)

/** Decodes one entry; throws JournalError when it is not one this version wrote. */
export function decodeEntry (bytes: Uint8Array): JournalEntry {
  if (bytes.length === 0) throw new JournalError('journal entry is empty')
  const r = new Reader(bytes, 1)
  switch (bytes[0]) {
    case HEADER:
      return decodeHeader(bytes.subarray(1))
    case JOBS: {
      const count = r.u32()
      const jobs: JobRecord[] = []
      for (let i = 0; i < count; i++) jobs.push(readJob(r))
      r.end()
      return { kind: 'jobs', jobs }
    }
    case SINK: {
      const items: Uint8Array[] = []
      const tags: Array<string | undefined> = []
      const { sink, position } = visitSinkItems(bytes, (_at, _sink, tag, item) => {
        tags.push(tag != null ? readName(tag) : undefined)
        items.push(item)
      })
      const tagged = tags.some(t => t != null)
      return { kind: 'sink', record: { sink, items, ...(tagged ? { tags } : {}), ...(position != null ? { position } : {}) } }
    }
    case CHUNKS: {
      const count = r.u32()
      const chunks: ChunkRecord[] = []
      for (let i = 0; i < count; i++) chunks.push(readChunk(r))
      r.end()
      return { kind: 'chunks', chunks }
    }
    default:
      throw new JournalError(`unknown journal entry kind ${bytes[0]}`)
  }
}

/** A chunk's range: integers (split ranges are integer ranges, chunk-plan.ts), at least one item. */
function readSpan (r: Reader): { start: number, count: number, step: number } {
  const start = r.f64()
  const count = r.u32()
  const step = r.f64()
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(step) || step === 0 || count < 1) {
    throw new JournalError(`journal chunk record has a malformed range [${start}, ${count}, ${step}]`)
  }
  return { start, count, step }
}

function readChunk (r: Reader): ChunkRecord {
  const stage = r.str()
  if (stage == null) throw new JournalError('journal chunk record has no stage')
  const tag = r.str()
  const { start, count, step } = readSpan(r)
  const n = r.u32()
  const packed = r.bytesField()
  if (!isPackedOutputs(packed) || countOutputs(packed) !== n) throw new JournalError(`journal chunk record's outputs are malformed (${n} expected)`)
  const outputs = unpackOutputs(packed)
  return tag != null ? { stage, start, count, step, outputs, packed, tag } : { stage, start, count, step, outputs, packed }
}

/** Skips one chunk record, returning its stage name's bytes and its range. */
function skipChunk (r: Reader): { stage: Uint8Array, start: number, count: number, step: number } {
  const stage = r.strBytes()
  if (stage == null) throw new JournalError('journal chunk record has no stage')
  r.strBytes()
  const span = readSpan(r)
  r.u32()
  r.bytesField()
  return { stage, ...span }
}

function readJob (r: Reader): JobRecord {
  const stage = r.str()
  if (stage == null) throw new JournalError('journal job record has no stage')
  const tag = r.str()
  const input = r.bytesField()
  const n = r.u16()
  const outputs: Emitted[] = []
  for (let k = 0; k < n; k++) {
    const port = r.u16()
    outputs.push({ port, bytes: r.bytesField() })
  }
  return tag != null ? { stage, input, outputs, tag } : { stage, input, outputs }
}

/** Skips one job record, returning its stage name's bytes and its input (views into `r`'s bytes). */
function skipJob (r: Reader): { stage: Uint8Array, input: Uint8Array } {
  const stage = r.strBytes()
  if (stage == null) throw new JournalError('journal job record has no stage')
  r.strBytes()
  const input = r.bytesField()
  const n = r.u16()
  for (let k = 0; k < n; k++) {
    r.u16()
    r.bytesField()
  }
  return { stage, input }
}

/** The kind of an encoded entry and how many records (jobs or sink items) it holds, without decoding it. */
export function entryInfo (payload: Uint8Array): { kind: JournalEntry['kind'], records: number } {
  switch (payload[0]) {
    case HEADER: return { kind: 'header', records: 0 }
    case JOBS: return { kind: 'jobs', records: claimedRecords(new Reader(payload, 1), payload, MIN_JOB_BYTES) }
    case CHUNKS: return { kind: 'chunks', records: claimedRecords(new Reader(payload, 1), payload, MIN_CHUNK_BYTES) }
    case SINK: {
      const r = new Reader(payload, 2)
      r.strBytes()
      r.f64()
      return { kind: 'sink', records: claimedRecords(r, payload, MIN_ITEM_BYTES) }
    }
    default: throw new JournalError(`unknown journal entry kind ${String(payload[0])}`)
  }
}

/** A sink's file size after a write, or -1 for none. */
function readPosition (r: Reader): number {
  const position = r.f64()
  if (position !== -1 && !(Number.isSafeInteger(position) && position >= 0)) throw new JournalError(`journal sink entry has a malformed position ${position}`)
  return position
}

/** Smallest encodings: a job (stage, no tag, input and output count), a chunk and a sink item (no tag, bytes). */
const MIN_JOB_BYTES = 2 + 2 + 4 + 2
const MIN_CHUNK_BYTES = 2 + 2 + 8 + 4 + 8 + 4
const MIN_ITEM_BYTES = 1 + 4

/** A record count that the entry's size can hold (a damaged count must not size anything). */
function claimedRecords (r: Reader, payload: Uint8Array, minBytes: number): number {
  const count = r.u32()
  if (count * minBytes > payload.length - r.at) throw new JournalError(`journal entry claims ${count} records, more than its ${payload.length} bytes can hold`)
  return count
}

/**
 * Walks the job records of an encoded jobs entry without building them: `visit` gets each record's offset
 * (for `jobAt`), its stage name's UTF-8 bytes and its input. Throws JournalError for a malformed entry.
 */
export function visitJobs (payload: Uint8Array, visit: (at: number, stage: Uint8Array, input: Uint8Array) => void): void {
  const r = new Reader(payload, 1)
  const count = r.u32()
  for (let i = 0; i < count; i++) {
    const at = r.at
    const { stage, input } = skipJob(r)
    visit(at, stage, input)
  }
  if (!r.done) throw new JournalError('journal entry has trailing bytes')
}

/**
 * Walks the chunk records of an encoded chunks entry without building them: `visit` gets each record's offset
 * (for `chunkAt`), its stage name's UTF-8 bytes and its range. Throws JournalError for a malformed entry.
 */
export function visitChunks (payload: Uint8Array, visit: (at: number, stage: Uint8Array, start: number, count: number, step: number) => void): void {
  const r = new Reader(payload, 1)
  const count = r.u32()
  for (let i = 0; i < count; i++) {
    const at = r.at
    const { stage, start, count, step } = skipChunk(r)
    visit(at, stage, start, count, step)
  }
  if (!r.done) throw new JournalError('journal entry has trailing bytes')
}

/** The chunk record at `at` of an encoded chunks entry (an offset `visitChunks` gave). */
export function chunkAt (payload: Uint8Array, at: number): ChunkRecord {
  return readChunk(new Reader(payload, at))
}

/** The job record at `at` of an encoded jobs entry (an offset `visitJobs` gave). */
export function jobAt (payload: Uint8Array, at: number): JobRecord {
  return readJob(new Reader(payload, at))
}

/** The stage name bytes and input of the job record at `at`, without decoding its outputs. */
export function jobKeyAt (payload: Uint8Array, at: number): { stage: Uint8Array, input: Uint8Array } {
  return skipJob(new Reader(payload, at))
}

/**
 * Walks an encoded sink entry: returns its sink and position, and gives `visit` each item's offset, tag bytes
 * and item bytes (views). Throws JournalError for a malformed entry.
 */
export function visitSinkItems (payload: Uint8Array, visit: (at: number, sink: Uint8Array, tag: Uint8Array | undefined, item: Uint8Array) => void): { sink: string, position?: number } {
  const layout = sinkLayout(payload)
  const r = new Reader(payload, 2)
  const sinkBytes = r.strBytes()
  if (sinkBytes == null) throw new JournalError('journal sink entry has no sink')
  const sink = readName(sinkBytes)
  const position = readPosition(r)
  const count = r.u32()
  for (let i = 0; i < count; i++) {
    const at = r.at
    const { tag, item } = readSinkItem(r, layout)
    visit(at, sinkBytes, tag, item)
  }
  if (!r.done) throw new JournalError('journal entry has trailing bytes')
  return position >= 0 ? { sink, position } : { sink }
}

/** The tag and bytes of the sink item at `at` (an offset `visitSinkItems` gave). */
export function sinkItemAt (payload: Uint8Array, at: number): { tag: Uint8Array | undefined, item: Uint8Array } {
  return readSinkItem(new Reader(payload, at), sinkLayout(payload))
}

function sinkLayout (payload: Uint8Array): number {
  const layout = payload[1]
  if (layout !== TAGGED && layout !== PACKED) throw new JournalError(`journal sink entry has an unknown layout ${String(layout)}`)
  return layout
}

function readSinkItem (r: Reader, layout: number): { tag: Uint8Array | undefined, item: Uint8Array } {
  if (layout === TAGGED) {
    const tag = r.strBytes()
    return { tag, item: r.bytesField() }
  }
  const head = r.raw(5)
  if (head[0] !== 0) throw new JournalError(`journal sink item is on port ${head[0]}`)
  return { tag: undefined, item: r.raw((head[1] | head[2] << 8 | head[3] << 16 | head[4] << 24) >>> 0) }
}

function readName (bytes: Uint8Array): string {
  try {
    return fromUtf8.decode(bytes)
  } catch {
    throw new JournalError('journal entry has a malformed name')
  }
}

/** A name as the journal stores it (UTF-8, cached). */
export function encodedName (name: string): Uint8Array {
  return nameBytes(name)
}

function decodeHeader (body: Uint8Array): JournalEntry {
  let v: unknown
  try {
    v = decodeValue(body)
  } catch {
    throw new JournalError('journal header is not readable')
  }
  if (!Array.isArray(v)) throw new JournalError('journal header is malformed')
  const [format, name, flow, modules, inputs, started] = v as unknown[]
  if (format !== JOURNAL_FORMAT) throw new JournalError(`journal format ${String(format)}, this coordinator reads format ${JOURNAL_FORMAT}`)
  if (typeof name !== 'string' || typeof flow !== 'string' || !isStringRecord(modules) || !isStringRecord(inputs) || typeof started !== 'number') {
    throw new JournalError('journal header is malformed')
  }
  return { kind: 'header', header: { format, name, fingerprint: { flow, modules, inputs }, started } }
}

function isStringRecord (v: unknown): v is Record<string, string> {
  return v != null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && Object.values(v).every(x => typeof x === 'string')
}
