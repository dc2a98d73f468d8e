/**
 * One way to walk a chunk's items whatever its kind, for whoever runs it (chain-chunk.ts, tests' fake workers):
 * a range chunk's items are computed (chunks.ts), an item chunk's are views into its input (item-chunks.ts).
 */
import { encodeValue } from '../codec.js'
import { errorToData } from '../errors.js'
import type { ErrorData } from '../jobs.js'
import { describeBytes } from '../util/describe.js'
import { decodeRangeChunk, itemError, rangeItem } from './chunks.js'
import { unpackItems } from './item-chunks.js'

export interface ChunkView {
  readonly count: number
  /** The i-th item's input (msgpack). */
  item: (i: number) => Uint8Array
  /** The i-th item as a call may take it: a range's item as its number (the caller encodes it), else `item(i)`. */
  input: (i: number) => Uint8Array | number
  /** The i-th item's error as data, its message naming the item. */
  error: (i: number, err: unknown) => ErrorData
}

/** The chunk of a job's input; throws a RangeError naming what is wrong (it came from the network). */
export function chunkView (kind: 'range' | 'items', input: Uint8Array): ChunkView {
  if (kind === 'range') {
    const chunk = decodeRangeChunk(input)
    return { count: chunk.count, item: i => encodeValue(rangeItem(chunk, i)), input: i => rangeItem(chunk, i), error: (i, err) => itemError(chunk, i, err) }
  }
  const items = unpackItems(input)
  return {
    count: items.length,
    item: i => items[i],
    input: i => items[i],
    error: (i, err) => {
      const data = errorToData(err)
      return { name: data.name, message: `item ${i} of a chunk (${describeBytes(items[i])}): ${data.message}` }
    }
  }
}
