/**
 * Journal entries as bytes. Job and sink entries are most of a journal and carry items that are already
 * msgpack bytes, so they use a flat binary layout (lengths and raw bytes, one allocation per entry) instead
 * of wrapping every item in a msgpack structure; the header is msgpack.
 *
 *   header: 0x00, msgpack [format, name, flow sha256, {fn: module sha256}, {source: file sha256}, started]
 *   jobs:   0x01, u32 count, per job: str stage, str? tag, bytes input, u16 outputs, per output: u16 port, bytes
 *   sink:   0x02, str sink, f64 position (-1: none), u32 count, per item: str? tag, bytes item
 * where str = u16 length + UTF-8, str? = u16 0xffff for none, else str, bytes = u32 length + raw bytes.
 */
import type { Emitted } from '../abi/abi.js'
import { decodeValue, encodeValue } from '../codec.js'
import { JOURNAL_FORMAT, JournalError } from './journal.js'
import type { JobRecord, JournalEntry, SinkRecord } from './journal.js'

const HEADER = 0
const JOBS = 1
const SINK = 2
const NO_STRING = 0xffff

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder('utf-8', { fatal: true })

class Writer {
  readonly bytes: Uint8Array
  private readonly view: DataView
  private at = 0

  constructor (size: number) {
    this.bytes = new Uint8Array(size)
    this.view = new DataView(this.bytes.buffer)
  }

  u8 (n: number): void { this.view.setUint8(this.at, n); this.at += 1 }
  u16 (n: number): void { this.view.setUint16(this.at, n); this.at += 2 }
  u32 (n: number): void { this.view.setUint32(this.at, n); this.at += 4 }
  f64 (n: number): void { this.view.setFloat64(this.at, n); this.at += 8 }
  raw (b: Uint8Array): void { this.bytes.set(b, this.at); this.at += b.length }
  bytesField (b: Uint8Array): void { this.u32(b.length); this.raw(b) }
  str (s: Uint8Array | undefined): void {
    if (s == null) { this.u16(NO_STRING); return }
    this.u16(s.length)
    this.raw(s)
  }
}

class Reader {
  private readonly view: DataView
  private at = 0

  constructor (private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  private need (n: number): void {
    if (this.at + n > this.bytes.length) throw new JournalError('journal entry is cut short')
  }

  u16 (): number { this.need(2); const n = this.view.getUint16(this.at); this.at += 2; return n }
  u32 (): number { this.need(4); const n = this.view.getUint32(this.at); this.at += 4; return n }
  f64 (): number { this.need(8); const n = this.view.getFloat64(this.at); this.at += 8; return n }
  raw (n: number): Uint8Array { this.need(n); const b = this.bytes.subarray(this.at, this.at + n); this.at += n; return b }
  bytesField (): Uint8Array { return this.raw(this.u32()) }
  str (): string | undefined {
    const n = this.u16()
    if (n === NO_STRING) return undefined
    try {
      return fromUtf8.decode(this.raw(n))
    } catch {
      throw new JournalError('journal entry has a malformed name')
    }
  }

  end (): void {
    if (this.at !== this.bytes.length) throw new JournalError('journal entry has trailing bytes')
  }
}

/** Encoded names, cached: a run has few stage, sink and worker names but writes them per job. */
const names = new Map<string, Uint8Array>()
function nameBytes (name: string): Uint8Array {
  let b = names.get(name)
  if (b == null) {
    b = utf8.encode(name)
    if (b.length >= NO_STRING) throw new JournalError(`name too long for the journal: ${name.slice(0, 40)}…`)
    if (names.size < 10_000) names.set(name, b)
  }
  return b
}

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
  }
}

function encodeJobs (jobs: readonly JobRecord[]): Uint8Array {
  let size = 5
  for (const job of jobs) {
    size += 2 + nameBytes(job.stage).length + 2 + (job.tag != null ? nameBytes(job.tag).length : 0) + 4 + job.input.length + 2
    for (const o of job.outputs) size += 2 + 4 + o.bytes.length
  }
  const w = new Writer(size)
  w.u8(JOBS)
  w.u32(jobs.length)
  for (const job of jobs) {
    w.str(nameBytes(job.stage))
    w.str(job.tag != null ? nameBytes(job.tag) : undefined)
    w.bytesField(job.input)
    w.u16(job.outputs.length)
    for (const o of job.outputs) {
      w.u16(o.port)
      w.bytesField(o.bytes)
    }
  }
  return w.bytes
}

function encodeSink (record: SinkRecord): Uint8Array {
  const { items, tags } = record
  let size = 1 + 2 + nameBytes(record.sink).length + 8 + 4
  for (let i = 0; i < items.length; i++) {
    const tag = tags?.[i]
    size += 2 + (tag != null ? nameBytes(tag).length : 0) + 4 + items[i].length
  }
  const w = new Writer(size)
  w.u8(SINK)
  w.str(nameBytes(record.sink))
  w.f64(record.position ?? -1)
  w.u32(items.length)
  for (let i = 0; i < items.length; i++) {
    const tag = tags?.[i]
    w.str(tag != null ? nameBytes(tag) : undefined)
    w.bytesField(items[i])
  }
  return w.bytes
}

/** Decodes one entry; throws JournalError when it is not one this version wrote. */
export function decodeEntry (bytes: Uint8Array): JournalEntry {
  if (bytes.length === 0) throw new JournalError('journal entry is empty')
  const r = new Reader(bytes.subarray(1))
  switch (bytes[0]) {
    case HEADER:
      return decodeHeader(bytes.subarray(1))
    case JOBS: {
      const count = r.u32()
      const jobs: JobRecord[] = []
      for (let i = 0; i < count; i++) {
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
        jobs.push(tag != null ? { stage, input, outputs, tag } : { stage, input, outputs })
      }
      r.end()
      return { kind: 'jobs', jobs }
    }
    case SINK: {
      const sink = r.str()
      if (sink == null) throw new JournalError('journal sink entry has no sink')
      const position = r.f64()
      const count = r.u32()
      const items: Uint8Array[] = []
      const tags: Array<string | undefined> = []
      for (let i = 0; i < count; i++) {
        tags.push(r.str())
        items.push(r.bytesField())
      }
      r.end()
      const tagged = tags.some(t => t != null)
      return { kind: 'sink', record: { sink, items, ...(tagged ? { tags } : {}), ...(position >= 0 ? { position } : {}) } }
    }
    default:
      throw new JournalError(`unknown journal entry kind ${bytes[0]}`)
  }
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
