/**
 * Chunks: one job that covers a run of consecutive items of one stage. A range source is handed out as
 * sub-ranges (a `RangeChunk`) that whoever runs the job expands itself, so the coordinator never encodes,
 * routes or tracks the items one by one: one id, one lease and one result message per chunk, its outputs in
 * item order. A finished chunk is one chunk record in the journal (core/journal/chunk-index.ts: a resumed run
 * replays the journaled chunks of each range piece and cuts only the gaps).
 * Sizes are powers of two, aligned to the start of the range piece they are cut from (queues/range-queue.ts).
 */
import { decodeValue, encodeValue } from '../codec.js'
import type { Emitted } from '../abi/abi.js'
import type { ErrorData } from '../jobs.js'
import { errorToData } from '../errors.js'
import type { ItemChunk } from './item-chunks.js'

/** Items start, start + step, … (count of them). */
export interface RangeChunk {
  readonly start: number
  readonly count: number
  readonly step: number
}

/** The job input of a range chunk (also its journal key): msgpack `[start, count, step]`. */
export function encodeRangeChunk (chunk: RangeChunk): Uint8Array {
  return encodeValue([chunk.start, chunk.count, chunk.step])
}

/** Reads a range chunk's job input; throws a RangeError naming what is wrong (it came from the network). */
export function decodeRangeChunk (bytes: Uint8Array): RangeChunk {
  const value = decodeValue(bytes)
  if (!Array.isArray(value) || value.length !== 3 || !value.every(v => typeof v === 'number' && Number.isFinite(v))) {
    throw new RangeError('a range chunk\'s input must be msgpack [start, count, step] of finite numbers')
  }
  const [start, count, step] = value as [number, number, number]
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_CHUNK_ITEMS) throw new RangeError(`a range chunk holds 1 to ${MAX_CHUNK_ITEMS} items, got ${count}`)
  return { start, count, step }
}

/** A chunk's item count; a malformed chunk counts as one job (the executor fails it, saying why). */
export function chunkItemCount (input: Uint8Array): number {
  try {
    return decodeRangeChunk(input).count
  } catch {
    return 1
  }
}

export type ChunkResult =
  | { readonly ok: true, readonly outputs: Emitted[], readonly ms: number }
  | { readonly ok: false, readonly error: ErrorData, readonly item: number }

/**
 * Runs a range chunk with a synchronous call per item (an ABI v1 instance, or a test's JavaScript function):
 * every output in item order and the time it took, or the first failure and the index of its item.
 */
export function runRangeChunk (input: Uint8Array, call: (item: Uint8Array) => readonly Emitted[]): ChunkResult {
  const started = performance.now()
  const chunk = decodeRangeChunk(input)
  const outputs: Emitted[] = []
  for (let i = 0; i < chunk.count; i++) {
    let emitted: readonly Emitted[]
    try {
      emitted = call(encodeValue(rangeItem(chunk, i)))
    } catch (err) {
      return { ok: false, error: itemError(chunk, i, err), item: i }
    }
    for (const output of emitted) outputs.push(output)
  }
  return { ok: true, outputs, ms: performance.now() - started }
}

/** A chunk item's error as data, its message naming the item. */
export function itemError (chunk: RangeChunk, i: number, err: unknown): ErrorData {
  const data = errorToData(err)
  return { name: data.name, message: `item ${rangeItem(chunk, i)} of a chunk: ${data.message}` }
}

/** The i-th item of a range chunk (the same arithmetic as the range source: start + i × step). */
export function rangeItem (chunk: RangeChunk, i: number): number {
  return chunk.start + i * chunk.step
}

/** Whether a Work's chunk is a range's (an item chunk, item-chunks.ts, has a `kind`). */
export function isRangeChunk (chunk: RangeChunk | ItemChunk | undefined): chunk is RangeChunk {
  return chunk != null && !('kind' in chunk)
}

/** Largest chunk: 2^16 items (at ~1 µs an item, 65 ms; bounds a result message whatever the sizer says). */
export const MAX_CHUNK_ITEMS = 65536
/** Worker time a chunk should take: long enough that per-job costs vanish, short enough to spread work. */
export const TARGET_CHUNK_MS = 25
/**
 * The same for a chunk whose outputs the worker combines (combiner.ts): the more pairs a chunk holds, the
 * more fold into one per key, and the fewer partials the coordinator folds (W10 word count: the coordinator's
 * CPU per line went from 18.5 to 12.7 µs with 400 ms and 4 MiB chunks instead of 100 ms and 1 MiB).
 */
export const TARGET_COMBINED_CHUNK_MS = 400
/** Output bytes a chunk should stay under (its result is one message, capped at 32 MiB on the job stream). */
export const TARGET_CHUNK_BYTES = 4 * 1024 * 1024
/** Growth per measurement at most (×8): early samples (a cold JIT, an instantiation) are noisy. */
const MAX_GROWTH = 8

/**
 * Learns a stage's cost per item from finished chunks (worker time and output bytes) and picks the next
 * chunk's size: a power of two that takes about TARGET_CHUNK_MS. It starts at 1: until a cost is measured
 * an item may take seconds, and a costly item stays a job of one (no batching of heavy work, no delay of a
 * lone job). Decayed sums, weighted by items, as JobCost (core/worker/job-cost.ts) does for batches.
 */
export class ChunkSizer {
  private ms = 0
  private bytes = 0
  private items = 0
  private current = 1

  /** `targetMs`: the worker time a chunk aims at (longer for stages whose outputs are combined: combiner.ts). */
  constructor (private readonly keep = 0.7, private readonly targetMs = TARGET_CHUNK_MS) {}

  /** A chunk of `items` ran for `ms` on its worker and emitted `bytes`. */
  observe (items: number, ms: number, bytes: number): void {
    if (items <= 0 || !(ms >= 0)) return
    this.ms = this.ms * this.keep + Math.max(ms, 0.001)
    this.bytes = this.bytes * this.keep + bytes
    this.items = this.items * this.keep + items
    const byTime = this.targetMs * this.items / this.ms
    const byBytes = this.bytes > 0 ? TARGET_CHUNK_BYTES * this.items / this.bytes : MAX_CHUNK_ITEMS
    const wanted = Math.min(byTime, byBytes, this.current * MAX_GROWTH, MAX_CHUNK_ITEMS)
    this.current = wanted < 1 ? 1 : 2 ** Math.floor(Math.log2(wanted))
  }

  /** Items in the next chunk (a power of two). */
  get size (): number {
    return this.current
  }
}
