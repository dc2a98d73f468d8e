/**
 * The packing of a batch into ONE transferable ArrayBuffer each way. A batch is many small Uint8Arrays;
 * cloning an array of arrays costs a structured-clone walk per item, while one transferred buffer costs a
 * pointer handover.
 *
 * Job buffer (pool → sandbox), little-endian u32 words, then bytes:
 *   [count] then per job [fnIndex, inputOffset, inputLength, chain], then the input bytes (offsets from buffer start).
 *   fnIndex has its top bit set for a range chunk (core/run/chunks.ts): the input is `[start, count, step]`;
 *   the next bit for an item chunk (core/run/item-chunks.ts): the input holds the items, packed. A chunk's
 *   combiners (core/run/combiner.ts) travel with its function in the table (`BatchFn`).
 *   chain: 0, or 1 + the index of the job's chain (the function indexes after fnIndex) in the batch's `chains`.
 * Outcome buffer (sandbox → pool), a sequence of records in job order:
 *   ok:    [0, outputCount] then per output [port, length, bytes…]
 *   error: [1, nameLength, name bytes…, messageLength, message bytes…]   (UTF-8)
 *   chunk: [2, outputCount, ms (f64)] then per output [port, length, bytes…]   (a range chunk's outputs, in order)
 *   chunk error: [3, item index] then as error   (the item of a range chunk that failed)
 *   chain: [4, outputCount, ms (f64), stages, emitted × (stages - 1)] then per output as above   (a chained chunk)
 *   chain error: [5, item index, stage] then as error   (the item, and the chain position it failed in)
 */
import type { Emitted } from '../abi/abi.js'
import type { ErrorData, FunctionRef, Job, JobCombiner } from '../jobs.js'

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder()

/** A function of a batch's table: a chunk's combiners come with it (chunks of one stage share them). */
export type BatchFn = FunctionRef & { readonly combine?: readonly JobCombiner[] }

/** The reference alone (a job's `fn` may carry more): ABI v1 jobs keep their old shape. */
function copyRef (fn: FunctionRef): FunctionRef {
  if (fn.wasi !== undefined) return { module: fn.module, export: fn.export, wasi: fn.wasi }
  if (fn.js === true) return { module: fn.module, export: fn.export, js: true }
  return { module: fn.module, export: fn.export }
}

/** Words per job in the job buffer's header. */
const JOB_WORDS = 4

/**
 * Packs jobs into one buffer; returns it with the function table it refers to and the chains of chained
 * chunks (function indexes; absent when the batch has none).
 */
export function packJobs (jobs: readonly Job[]): { fns: BatchFn[], jobs: ArrayBuffer, chains?: number[][] } {
  const fns: BatchFn[] = []
  // module hash → export (and WASI io mode) → index; no string building per job (batches usually call one function)
  const fnIndex = new Map<string, Map<string, number>>()
  const indexOf = (fn: FunctionRef, combine?: readonly JobCombiner[]): number => {
    let exports = fnIndex.get(fn.module)
    if (exports === undefined) fnIndex.set(fn.module, exports = new Map())
    const key = (fn.wasi !== undefined ? `${fn.export}\0${fn.wasi}` : fn.js === true ? `${fn.export}\0js` : fn.export) + (combine != null ? combineKey(combine) : '')
    let index = exports.get(key)
    if (index === undefined) {
      index = fns.length
      exports.set(key, index)
      fns.push(combine != null ? { ...copyRef(fn), combine: combine.map(c => ({ port: c.port, fn: copyRef(c.fn) })) } : copyRef(fn))
    }
    return index
  }
  const indexes = new Uint32Array(jobs.length)
  // a message's chained chunks share one chain array: one entry per distinct array
  let chains: number[][] | undefined
  let chainIndex: Map<readonly FunctionRef[], number> | undefined
  const chainOf = new Uint32Array(jobs.length)
  let last: FunctionRef | undefined
  let lastCombine: Job['combine']
  let lastIndex = 0
  let bytes = 0
  for (let i = 0; i < jobs.length; i++) {
    const { fn, input, combine, chain } = jobs[i]
    if (last === undefined || fn.module !== last.module || fn.export !== last.export || fn.wasi !== last.wasi || fn.js !== last.js || combine !== lastCombine) {
      lastIndex = indexOf(fn, combine)
      last = fn
      lastCombine = combine
    }
    indexes[i] = lastIndex
    if (chain !== undefined && jobs[i].chunk === 'range') {
      chainIndex ??= new Map()
      let c = chainIndex.get(chain)
      if (c === undefined) {
        c = (chains ??= []).length
        chainIndex.set(chain, c)
        chains.push(chain.map(f => indexOf(f)))
      }
      chainOf[i] = c + 1
    }
    bytes += input.length
  }
  const headerBytes = 4 * (1 + JOB_WORDS * jobs.length)
  const buffer = new ArrayBuffer(headerBytes + bytes)
  const words = new Uint32Array(buffer, 0, 1 + JOB_WORDS * jobs.length)
  const data = new Uint8Array(buffer)
  words[0] = jobs.length
  let offset = headerBytes
  for (let i = 0; i < jobs.length; i++) {
    const input = jobs[i].input
    const at = 1 + JOB_WORDS * i
    const chunk = jobs[i].chunk
    words[at] = chunk === 'range' ? (indexes[i] | CHUNK_BIT) >>> 0 : chunk === 'items' ? (indexes[i] | ITEMS_BIT) >>> 0 : indexes[i]
    words[at + 1] = offset
    words[at + 2] = input.length
    words[at + 3] = chainOf[i]
    data.set(input, offset)
    offset += input.length
  }
  return chains === undefined ? { fns, jobs: buffer } : { fns, jobs: buffer, chains }
}

const CHUNK_BIT = 0x80000000
const ITEMS_BIT = 0x40000000

/** A table key for a chunk's combiners. */
function combineKey (combine: readonly JobCombiner[]): string {
  return combine.map(c => `\0${c.port}\0${c.fn.module}\0${c.fn.export}\0${c.fn.wasi ?? ''}${c.fn.js === true ? 'js' : ''}`).join('')
}

export interface PackedJob {
  readonly fn: number
  readonly input: Uint8Array
  /** A range chunk (`input` is `[start, count, step]`) or an item chunk (`input` holds the items, packed). */
  readonly chunk: 'range' | 'items' | undefined
  /** A chained chunk: 1 + the index of its chain in the batch's `chains`; 0 otherwise. */
  readonly chain: number
}

/** Reads a job buffer; inputs are views into it (no copies). */
export function unpackJobs (buffer: ArrayBuffer): PackedJob[] {
  const count = new Uint32Array(buffer, 0, 1)[0]
  const words = new Uint32Array(buffer, 0, 1 + JOB_WORDS * count)
  const jobs: PackedJob[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const at = 1 + JOB_WORDS * i
    const fn = words[at]
    const chunk = fn >= CHUNK_BIT ? 'range' : (fn & ITEMS_BIT) !== 0 ? 'items' : undefined
    jobs[i] = { fn: (fn & ~(CHUNK_BIT | ITEMS_BIT)) >>> 0, input: new Uint8Array(buffer, words[at + 1], words[at + 2]), chunk, chain: words[at + 3] }
  }
  return jobs
}

/** Builds an outcome buffer record by record, growing by doubling. */
export class OutcomeWriter {
  private buffer: ArrayBuffer
  private view: DataView
  private bytes: Uint8Array
  private pos = 0

  constructor (initialBytes = 4096) {
    this.buffer = new ArrayBuffer(Math.max(64, initialBytes))
    this.view = new DataView(this.buffer)
    this.bytes = new Uint8Array(this.buffer)
  }

  ok (outputs: readonly Emitted[]): void {
    this.record(0, outputs)
  }

  /** A range chunk's record: every output of its items in order, and how long it ran. */
  chunk (outputs: readonly Emitted[], ms: number): void {
    this.record(2, outputs, ms)
  }

  /** A chained chunk's record: the tail's outputs in order, the time, and the outputs of each earlier stage. */
  chain (outputs: readonly Emitted[], ms: number, emitted: readonly number[]): void {
    this.record(4, outputs, ms, emitted)
  }

  private record (kind: 0 | 2 | 4, outputs: readonly Emitted[], ms?: number, emitted?: readonly number[]): void {
    let size = kind === 0 ? 8 : kind === 2 ? 16 : 20 + 4 * (emitted?.length ?? 0)
    for (const o of outputs) size += 8 + o.bytes.length
    this.reserve(size)
    this.u32(kind)
    this.u32(outputs.length)
    if (ms !== undefined) {
      this.view.setFloat64(this.pos, ms, true)
      this.pos += 8
    }
    if (emitted !== undefined) {
      this.u32(emitted.length + 1)
      for (const n of emitted) this.u32(n)
    }
    for (const o of outputs) {
      this.u32(o.port)
      this.u32(o.bytes.length)
      this.bytes.set(o.bytes, this.pos)
      this.pos += o.bytes.length
    }
  }

  /** `item`: a range chunk's failing item (its index); `stage`: a chained chunk's stage it failed in. */
  error (error: ErrorData, item?: number, stage?: number): void {
    const name = utf8Encoder.encode(error.name)
    const message = utf8Encoder.encode(error.message)
    this.reserve(20 + name.length + message.length)
    if (item !== undefined && stage !== undefined) {
      this.u32(5)
      this.u32(item)
      this.u32(stage)
    } else if (item !== undefined) {
      this.u32(3)
      this.u32(item)
    } else this.u32(1)
    this.u32(name.length)
    this.bytes.set(name, this.pos)
    this.pos += name.length
    this.u32(message.length)
    this.bytes.set(message, this.pos)
    this.pos += message.length
  }

  /** The buffer (possibly longer than its content: no trimming copy) and the length of its content. */
  finish (): { buffer: ArrayBuffer, byteLength: number } {
    return { buffer: this.buffer, byteLength: this.pos }
  }

  private u32 (value: number): void {
    this.view.setUint32(this.pos, value, true)
    this.pos += 4
  }

  private reserve (size: number): void {
    if (this.pos + size <= this.buffer.byteLength) return
    let capacity = this.buffer.byteLength * 2
    while (capacity < this.pos + size) capacity *= 2
    const next = new ArrayBuffer(capacity)
    new Uint8Array(next).set(this.bytes.subarray(0, this.pos))
    this.buffer = next
    this.view = new DataView(next)
    this.bytes = new Uint8Array(next)
  }
}

export type UnpackedOutcome =
  | { readonly ok: true, readonly outputs: Emitted[], readonly ms?: number, readonly emitted?: number[] }
  | { readonly ok: false, readonly error: ErrorData, readonly item?: number, readonly stage?: number }

/**
 * Reads an outcome buffer of `count` records. Output bytes are views into the buffer (no copies): the buffer
 * lives as long as any output of the batch is referenced.
 */
export function unpackOutcomes (buffer: ArrayBuffer, byteLength: number, count: number): UnpackedOutcome[] {
  const view = new DataView(buffer)
  const outcomes: UnpackedOutcome[] = new Array(count)
  let pos = 0
  const u32 = (): number => {
    const v = view.getUint32(pos, true)
    pos += 4
    return v
  }
  const text = (): string => {
    const len = u32()
    const s = utf8Decoder.decode(new Uint8Array(buffer, pos, len))
    pos += len
    return s
  }
  for (let i = 0; i < count; i++) {
    const kind = u32()
    if (kind === 0 || kind === 2 || kind === 4) {
      const n = u32()
      let ms: number | undefined
      if (kind !== 0) {
        ms = view.getFloat64(pos, true)
        pos += 8
      }
      let emitted: number[] | undefined
      if (kind === 4) {
        const stages = u32()
        emitted = new Array(stages - 1)
        for (let k = 0; k < stages - 1; k++) emitted[k] = u32()
      }
      const outputs: Emitted[] = new Array(n)
      for (let k = 0; k < n; k++) {
        const port = u32()
        const len = u32()
        outputs[k] = { port, bytes: new Uint8Array(buffer, pos, len) }
        pos += len
      }
      outcomes[i] = ms === undefined ? { ok: true, outputs } : emitted === undefined ? { ok: true, outputs, ms } : { ok: true, outputs, ms, emitted }
    } else {
      const item = kind === 3 || kind === 5 ? u32() : undefined
      const stage = kind === 5 ? u32() : undefined
      const name = text()
      const error = { name, message: text() }
      outcomes[i] = item === undefined ? { ok: false, error } : stage === undefined ? { ok: false, error, item } : { ok: false, error, item, stage }
    }
  }
  if (pos !== byteLength) throw new RangeError(`outcome buffer holds ${byteLength} bytes, ${count} records used ${pos}`)
  return outcomes
}
