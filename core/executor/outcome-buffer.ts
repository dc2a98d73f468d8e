/**
 * A batch's outcomes in ONE transferable ArrayBuffer (sandbox → pool; the jobs go the other way in packing.ts),
 * a sequence of records in job order, little-endian:
 *   ok:    [0, outputCount] then per output [port, length, bytes…]
 *   error: [1, nameLength, name bytes…, messageLength, message bytes…]   (UTF-8)
 *   chunk: [2, outputCount, ms (f64)] then per output [port, length, bytes…]   (a chunk's outputs, in order)
 *   chunk error: [3, item index] then as error   (the item of a chunk that failed)
 *   chain: [4, outputCount, ms (f64), stages, emitted × (stages - 1)] then per output as above   (a chained chunk)
 *   chain error: [5, item index, stage] then as error   (the item, and the chain position it failed in)
 *   packed chunk: [6, packedLength, ms (f64), stages, emitted × (stages - 1)] then packedLength bytes: the
 *     outputs in the job stream's packed layout (core/protocol/packed-outputs.ts), written by the sandbox as
 *     the functions emit them (OutcomeWriter is the PackedSink of FunctionInstance.callPacked). The pool hands
 *     them on as one view (chunkOutcome): no object per output anywhere between the guest and the wire.
 *     stages is 1 for an unchained chunk (no emitted counts).
 */
import type { Emitted } from '../abi/abi.js'
import type { PackedSink } from '../abi/host.js'
import type { ErrorData } from '../jobs.js'
import { packedOutputBytes, writePackedOutput } from '../protocol/packed-outputs.js'

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder()

/** Builds an outcome buffer record by record, growing by doubling. */
export class OutcomeWriter implements PackedSink {
  private buffer: ArrayBuffer
  private view: DataView
  private bytes: Uint8Array
  private pos = 0
  /** Where the open packed record starts (-1: none open) and where its outputs start. */
  private packedAt = -1
  private packedData = 0

  constructor (initialBytes = 4096) {
    this.buffer = new ArrayBuffer(Math.max(64, initialBytes))
    this.view = new DataView(this.buffer)
    this.bytes = new Uint8Array(this.buffer)
  }

  ok (outputs: readonly Emitted[]): void {
    this.record(0, outputs)
  }

  /** A chunk's record: every output of its items in order, and how long it ran. */
  chunk (outputs: readonly Emitted[], ms: number): void {
    this.record(2, outputs, ms)
  }

  /** A chained chunk's record: the tail's outputs in order, the time, and the outputs of each earlier stage. */
  chain (outputs: readonly Emitted[], ms: number, emitted: readonly number[]): void {
    this.record(4, outputs, ms, emitted)
  }

  /**
   * Opens a packed chunk record for a chain of `stages` functions (1: unchained); its outputs arrive through
   * `append` until `endPacked` closes it or `abortPacked` drops it. `expectBytes`: room to make at once.
   */
  beginPacked (stages: number, expectBytes = 0): void {
    if (this.packedAt >= 0) throw new Error('OutcomeWriter: a packed record is already open')
    const header = 20 + 4 * (stages - 1)
    this.reserve(header + expectBytes)
    this.packedAt = this.pos
    this.view.setUint32(this.pos + 16, stages, true)
    this.pos += header
    this.packedData = this.pos
  }

  /** One output of the open packed record: `len` bytes of `src` at `ptr` on `port` (0–255). */
  append (port: number, src: Uint8Array, ptr: number, len: number): void {
    const size = packedOutputBytes(len)
    if (this.pos + size > this.bytes.length) this.reserve(size)
    this.pos = writePackedOutput(this.bytes, this.pos, port, src, ptr, len)
  }

  /** Closes the open packed record: the chunk ran `ms`, and `emitted` are the counts of a chain's earlier stages. */
  endPacked (ms: number, emitted?: readonly number[]): void {
    const at = this.packedAt
    if (at < 0) throw new Error('OutcomeWriter: no packed record is open')
    const stages = this.view.getUint32(at + 16, true)
    if ((emitted?.length ?? 0) !== stages - 1) throw new Error(`OutcomeWriter: a chain of ${stages} stages needs ${stages - 1} emitted counts, got ${emitted?.length ?? 0}`)
    this.view.setUint32(at, 6, true)
    this.view.setUint32(at + 4, this.pos - this.packedData, true)
    this.view.setFloat64(at + 8, ms, true)
    for (let k = 0; k < stages - 1; k++) this.view.setUint32(at + 20 + 4 * k, emitted![k], true)
    this.packedAt = -1
  }

  /** Drops the open packed record (its chunk failed: an error record follows). */
  abortPacked (): void {
    if (this.packedAt < 0) return
    this.pos = this.packedAt
    this.packedAt = -1
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

  /** `item`: a chunk's failing item (its index); `stage`: a chained chunk's stage it failed in. */
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
    if (this.packedAt >= 0) throw new Error('OutcomeWriter: a packed record is still open')
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
  | { readonly ok: true, readonly outputs: Emitted[], readonly ms?: number, readonly emitted?: number[], readonly packed?: undefined }
  /** A packed chunk record: the outputs as one view in the packed layout. */
  | { readonly ok: true, readonly packed: Uint8Array, readonly ms: number, readonly emitted?: number[] }
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
  const counts = (stages: number): number[] => {
    const emitted = new Array<number>(stages - 1)
    for (let k = 0; k < stages - 1; k++) emitted[k] = u32()
    return emitted
  }
  for (let i = 0; i < count; i++) {
    const kind = u32()
    if (kind === 6) {
      const len = u32()
      const ms = view.getFloat64(pos, true)
      pos += 8
      const stages = u32()
      const emitted = stages > 1 ? counts(stages) : undefined
      const packed = new Uint8Array(buffer, pos, len)
      pos += len
      outcomes[i] = emitted === undefined ? { ok: true, packed, ms } : { ok: true, packed, ms, emitted }
    } else if (kind === 0 || kind === 2 || kind === 4) {
      const n = u32()
      let ms: number | undefined
      if (kind !== 0) {
        ms = view.getFloat64(pos, true)
        pos += 8
      }
      const emitted = kind === 4 ? counts(u32()) : undefined
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
