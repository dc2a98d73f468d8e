/**
 * Item chunks: one job that carries a run of items of a file source (`lines`, `jsonl`) read only by chunkable
 * map stages (chunk-plan.ts). Unlike a range chunk the items cannot be regenerated from three numbers, so
 * they travel in the job's input, packed (per item: length as u32 LE, then its msgpack bytes), and whoever
 * runs the job calls the function on each in order. One id, one lease, one result message, outputs in item
 * order, exactly as a range chunk (chunks.ts); not journaled (a resumed run reads its source again and the
 * sinks skip what they wrote).
 */
import { packArray } from '../util/msgpack-bytes.js'
import { MAX_CHUNK_ITEMS } from './chunks.js'

/** The chunk of a Work that carries its items (queues/item-chunk-queue.ts): `count` items in `input`. */
export interface ItemChunk {
  readonly kind: 'items'
  readonly count: number
}

/**
 * Input bytes an item chunk stops growing at (it always holds one item): a job message is one frame capped at
 * 32 MiB (job-messages.ts), and a worker asks for few jobs as costly as chunks (its credits follow job cost,
 * at least two per thread: 8 MiB of lines ahead per thread at most).
 */
export const MAX_ITEM_CHUNK_BYTES = 4 * 1024 * 1024

const HEADER = 4

export function packItems (items: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const item of items) size += HEADER + item.length
  const packed = new Uint8Array(size)
  const view = new DataView(packed.buffer)
  let pos = 0
  for (const item of items) {
    view.setUint32(pos, item.length, true)
    packed.set(item, pos + HEADER)
    pos += HEADER + item.length
  }
  return packed
}

/**
 * The items of a packed item chunk, as views into it (no copies). Throws a RangeError naming what is wrong
 * when the bytes are not a whole sequence of 1 to MAX_CHUNK_ITEMS items (a job input came from the network).
 */
export function unpackItems (packed: Uint8Array): Uint8Array[] {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength)
  const items: Uint8Array[] = []
  let pos = 0
  while (pos < packed.length) {
    if (pos + HEADER > packed.length || items.length >= MAX_CHUNK_ITEMS) break
    const len = view.getUint32(pos, true)
    if (pos + HEADER + len > packed.length) break
    items.push(packed.subarray(pos + HEADER, pos + HEADER + len))
    pos += HEADER + len
  }
  if (pos !== packed.length || items.length === 0) {
    throw new RangeError(`an item chunk's input must be 1 to ${MAX_CHUNK_ITEMS} items, each a u32 LE length and its bytes; got ${packed.length} bytes that are not`)
  }
  return items
}

/** An item chunk's item count (lengths only, no views); a malformed one counts as one job (the executor fails it). */
export function itemChunkCount (packed: Uint8Array): number {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength)
  let count = 0
  let pos = 0
  while (pos + HEADER <= packed.length) {
    pos += HEADER + view.getUint32(pos, true)
    count++
  }
  return pos === packed.length && count > 0 ? count : 1
}

/** The chunk's items as one msgpack array: how a failure names a whole chunk's input to people. */
export function itemChunkAsArray (packed: Uint8Array): Uint8Array {
  return packArray(unpackItems(packed))
}
