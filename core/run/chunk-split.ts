/**
 * A chunk whose item failed is split at that item (router.ts, failChunkItem): the item alone counts the
 * failed attempt, the items before it (which ran) and after it (which did not) go back as two chunks of the
 * same kind, their attempts unchanged.
 */
import { encodeValue } from '../codec.js'
import { encodeRangeChunk, rangeItem } from './chunks.js'
import type { RangeChunk } from './chunks.js'
import { itemChunkAsArray, packItems, unpackItems } from './item-chunks.js'
import type { Work } from './queues/stage-queue.js'

/**
 * `work`'s chunk cut around item `index`: the chunks left (before, after) and the failing item's work (a range
 * chunk's names the chunk of one item it is, so its outputs are journaled as a chunk record: router.ts).
 */
export function splitAtItem (work: Work, index: number): { readonly rest: Work[], readonly item: Work } {
  const chunk = work.chunk!
  const rest: Work[] = []
  if ('kind' in chunk) {
    const items = unpackItems(work.input)
    if (index > 0) rest.push(itemWork(items.slice(0, index), work.attempts))
    if (index + 1 < items.length) rest.push(itemWork(items.slice(index + 1), work.attempts))
    return { rest, item: { input: items[index].slice(), attempts: work.attempts } }
  }
  if (index > 0) rest.push(rangeWork({ start: chunk.start, count: index, step: chunk.step }, work.attempts))
  if (index + 1 < chunk.count) rest.push(rangeWork({ start: rangeItem(chunk, index + 1), count: chunk.count - index - 1, step: chunk.step }, work.attempts))
  const item = rangeItem(chunk, index)
  return { rest, item: { input: encodeValue(item), attempts: work.attempts, fromChunk: { start: item, count: 1, step: chunk.step } } }
}

/** The input a failure names: an item chunk's items as one msgpack array (its packing means nothing to people). */
export function failureInput (work: Work): Uint8Array {
  return work.chunk != null && 'kind' in work.chunk ? itemChunkAsArray(work.input) : work.input
}

/** The work of a range chunk (its input is the chunk's encoding). */
export function rangeWork (chunk: RangeChunk, attempts: number): Work {
  return { input: encodeRangeChunk(chunk), attempts, chunk }
}

function itemWork (items: readonly Uint8Array[], attempts: number): Work {
  return { input: packItems(items), attempts, chunk: { kind: 'items', count: items.length } }
}
