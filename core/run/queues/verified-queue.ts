/**
 * The queue of a stage with `verify`: each work runs as `replicas` jobs on distinct workers (more on a
 * disagreement, verification.ts). Work stays here, counted as queued, from its first replica until its
 * replicas decide (`decided`): while replicas are out, others may still be wanted. A worker is offered
 * replicas of work already started first, never a second replica of one work, then new work. Work waits
 * while too few distinct workers ask for it.
 */
import { Fifo } from '../../util/fifo.js'
import { ReplicaGroup } from '../verification.js'
import type { StageQueue, Work } from './stage-queue.js'

export class VerifiedQueue implements StageQueue {
  readonly replaysOnTake = false
  /** Work no replica of which was handed out yet. */
  private readonly fresh = new Fifo<Work>()
  /** Work with replicas out or still wanted, in the order it was started. */
  private readonly started = new Set<Work>()
  /** This round's walk over `started` (one round: the takes of one worker after `refill`). */
  private scan: Iterator<Work> | undefined
  private scanFor: string | undefined

  constructor (private readonly replicas: number) {}

  get size (): number {
    return this.fresh.size + this.started.size
  }

  push (work: Work): void {
    this.fresh.push(work)
  }

  refill (): void {
    this.scan = undefined
  }

  take (worker: string): Work | undefined {
    if (this.started.size > 0) {
      if (this.scan == null || this.scanFor !== worker) {
        this.scan = this.started.values()
        this.scanFor = worker
      }
      // a walk goes on where the round's previous take stopped: work passed over does not want this worker
      for (let next = this.scan.next(); next.done !== true; next = this.scan.next()) {
        const work = next.value
        if (!work.group!.wants(worker)) continue
        work.group!.handedTo(worker)
        return work
      }
    }
    const work = this.fresh.shift()
    if (work == null) return undefined
    work.group = new ReplicaGroup(this.replicas)
    this.started.add(work)
    work.group.handedTo(worker)
    return work
  }

  /** The replica's slot opens again (for any worker, this one included); the work stays started. */
  putBack (work: Work, worker: string): void {
    work.group!.lost(worker)
  }

  memberLeft (_member: string): void {}

  decided (work: Work): void {
    this.started.delete(work)
  }
}
