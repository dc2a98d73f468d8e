/**
 * What the two queues of split sources share (range-queue.ts, item-chunk-queue.ts): their work waits uncut,
 * and a chunk is cut only when a worker asks, at the size the stage's sizer holds then. The cut chunk goes
 * into the stage's queue of its mode (`inner`: shared, pinned or verified) and is taken from there like any
 * work; work already there (a chunk put back after a lost lease or a failure, replicas of a verified chunk)
 * goes first.
 */
import type { StageQueue, Work } from './stage-queue.js'

export abstract class CuttingQueue implements StageQueue {
  /** Items pushed here replay when routed, as anywhere. */
  readonly replaysOnTake = false

  constructor (protected readonly inner: StageQueue) {}

  /** The next chunk cut from what waits uncut, or undefined when nothing does. */
  protected abstract cut (): Work | undefined
  /** Items waiting uncut. */
  protected abstract get uncut (): number

  /**
   * Work in the inner queue and the items not cut yet: counting uncut items keeps the run's high-water mark
   * reading a split source piece by piece, and progress counting items.
   */
  get size (): number {
    return this.inner.size + this.uncut
  }

  push (work: Work): void {
    this.inner.push(work)
  }

  refill (): void {
    this.inner.refill()
  }

  take (worker: string): Work | undefined {
    const waiting = this.inner.take(worker)
    if (waiting != null) return waiting
    const chunk = this.cut()
    if (chunk == null) return undefined
    this.inner.push(chunk)
    return this.inner.take(worker)
  }

  putBack (work: Work, worker: string): void {
    this.inner.putBack(work, worker)
  }

  memberLeft (member: string): void {
    this.inner.memberLeft(member)
  }

  decided (work: Work): void {
    this.inner.decided(work)
  }
}
