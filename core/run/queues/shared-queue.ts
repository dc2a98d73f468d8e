/**
 * The queue of a stage any worker may run (no cluster, no verify): one line, first in first out; a retried
 * job goes back to the front. The hot path of the grid (tiny jobs by the hundred thousand per second): take
 * is one FIFO shift, with nothing allocated.
 */
import { Fifo } from '../../util/fifo.js'
import type { StageQueue, Work } from './stage-queue.js'

export class SharedQueue implements StageQueue {
  readonly replaysOnTake = false
  private readonly line = new Fifo<Work>()

  get size (): number {
    return this.line.size
  }

  push (work: Work): void {
    this.line.push(work)
  }

  refill (): void {}

  take (_worker: string): Work | undefined {
    return this.line.shift()
  }

  putBack (work: Work, _worker: string): void {
    this.line.unshift(work)
  }

  memberLeft (_member: string): void {}

  decided (_work: Work): void {}
}
