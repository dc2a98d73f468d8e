/**
 * The queue of a stage fed by a split file source (item-chunks.ts): items read from the source wait here
 * one by one, uncut, and a chunk of them is cut only when a worker asks (cutting-queue.ts), at the size the
 * stage's sizer holds then (capped in bytes by MAX_ITEM_CHUNK_BYTES). The queue below is the stage's mode,
 * or a RangeQueue when the stage also reads a split range.
 */
import { Fifo } from '../../util/fifo.js'
import { MAX_ITEM_CHUNK_BYTES, packItems } from '../item-chunks.js'
import { CuttingQueue } from './cutting-queue.js'
import type { StageQueue, Work } from './stage-queue.js'

export interface ItemChunkQueueInit {
  /** Where cut chunks and other work wait (the stage's queue of its mode). */
  readonly inner: StageQueue
  /** Items the next chunk should hold (the stage's ChunkSizer). */
  readonly size: () => number
}

export class ItemChunkQueue extends CuttingQueue {
  private readonly items = new Fifo<Uint8Array>()

  constructor (private readonly init: ItemChunkQueueInit) {
    super(init.inner)
  }

  protected get uncut (): number {
    return this.items.size
  }

  /** Items read from a split source, cut into chunks as workers ask. */
  pushItems (items: readonly Uint8Array[]): void {
    for (const item of items) this.items.push(item)
  }

  protected cut (): Work | undefined {
    const max = this.init.size()
    const taken: Uint8Array[] = []
    let bytes = 0
    for (let next = this.items.peek(); next != null && taken.length < max; next = this.items.peek()) {
      if (taken.length > 0 && bytes + next.length > MAX_ITEM_CHUNK_BYTES) break
      taken.push(this.items.shift()!)
      bytes += next.length
    }
    if (taken.length === 0) return undefined
    return { input: packItems(taken), attempts: 0, chunk: { kind: 'items', count: taken.length } }
  }
}
