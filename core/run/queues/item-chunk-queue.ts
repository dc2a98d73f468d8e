/**
 * The queue of a stage fed by a split file source (item-chunks.ts): items read from the source wait here
 * one by one, uncut, and a chunk of them is cut only when a worker asks, at the size the stage's sizer holds
 * then (capped in bytes by MAX_ITEM_CHUNK_BYTES). The cut chunk goes into the queue below (the stage's mode,
 * or a RangeQueue when the stage also reads a split range) and is taken from there like any work; work
 * already there (a chunk put back after a lost lease or a failure) goes first.
 */
import { Fifo } from '../../util/fifo.js'
import { MAX_ITEM_CHUNK_BYTES, packItems } from '../item-chunks.js'
import type { StageQueue, Work } from './stage-queue.js'

export interface ItemChunkQueueInit {
  /** Where cut chunks and other work wait (the stage's queue of its mode). */
  readonly inner: StageQueue
  /** Items the next chunk should hold (the stage's ChunkSizer). */
  readonly size: () => number
}

export class ItemChunkQueue implements StageQueue {
  readonly replaysOnTake = false
  private readonly items = new Fifo<Uint8Array>()

  constructor (private readonly init: ItemChunkQueueInit) {}

  /** Work below and the items not cut yet (the run's high-water mark counts items, as for ranges). */
  get size (): number {
    return this.init.inner.size + this.items.size
  }

  /** Items read from a split source, cut into chunks as workers ask. */
  pushItems (items: readonly Uint8Array[]): void {
    for (const item of items) this.items.push(item)
  }

  push (work: Work): void {
    this.init.inner.push(work)
  }

  refill (): void {
    this.init.inner.refill()
  }

  take (worker: string): Work | undefined {
    const inner = this.init.inner
    const waiting = inner.take(worker)
    if (waiting != null) return waiting
    const chunk = this.cut()
    if (chunk == null) return undefined
    inner.push(chunk)
    return inner.take(worker)
  }

  putBack (work: Work, worker: string): void {
    this.init.inner.putBack(work, worker)
  }

  memberLeft (member: string): void {
    this.init.inner.memberLeft(member)
  }

  decided (work: Work): void {
    this.init.inner.decided(work)
  }

  private cut (): Work | undefined {
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
