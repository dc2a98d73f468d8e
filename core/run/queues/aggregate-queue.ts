/**
 * The queue of an aggregate stage: its items are not jobs, they fold into the stage's keyed aggregate
 * (aggregate.ts); groups of values ready to combine become combine jobs, which wait in an inner queue of
 * the stage's mode (shared, pinned or verified). Only combine jobs count as queued. Completion
 * (completion.ts) decides when the aggregate finalises and emits.
 */
import type { KeyedAggregate } from '../aggregate.js'
import type { StageQueue, Work } from './stage-queue.js'

export class AggregateQueue implements StageQueue {
  readonly replaysOnTake = false

  constructor (private readonly aggregate: KeyedAggregate, private readonly combines: StageQueue) {}

  get size (): number {
    return this.combines.size
  }

  /** Folds the item into the aggregate; throws AggregateInputError if it is not a `[key, value]` pair. */
  push (work: Work): void {
    this.aggregate.add(work.input)
  }

  /** Groups of values that should be combined now become combine jobs. */
  refill (): void {
    for (const group of this.aggregate.takeCombines()) this.combines.push({ input: group.input, attempts: 0, key: group.key })
    this.combines.refill()
  }

  take (worker: string): Work | undefined {
    return this.combines.take(worker)
  }

  putBack (work: Work, worker: string): void {
    this.combines.putBack(work, worker)
  }

  memberLeft (member: string): void {
    this.combines.memberLeft(member)
  }

  decided (work: Work): void {
    this.combines.decided(work)
  }
}
