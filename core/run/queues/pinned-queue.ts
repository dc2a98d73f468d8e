/**
 * The queue of a stage pinned to a cluster (neither broadcast, partitioned nor verified). Only members take
 * from it (the run state checks membership). An item produced on a member of the cluster (a broadcast
 * copy's output, or any output of a stage pinned to it) stays on that member, ahead of the stage's shared
 * work, as each member of a Hydro cluster runs its own copy of the dataflow after a broadcast. When the
 * member leaves first, the work that stayed on it goes to the front of the shared line (any member runs it).
 */
import { Fifo } from '../../util/fifo.js'
import { MemberFifos } from './member-fifos.js'
import type { MembershipView, StageQueue, Work } from './stage-queue.js'

export class PinnedQueue implements StageQueue {
  readonly replaysOnTake = false
  private readonly shared = new Fifo<Work>()
  private readonly staying = new MemberFifos<Work>()

  constructor (private readonly cluster: string, private readonly membership: MembershipView) {}

  get size (): number {
    return this.shared.size + this.staying.size
  }

  /** Work tagged with a member of the cluster (it comes from that member) stays on it; other work is shared. */
  push (work: Work): void {
    if (work.tag != null && this.membership.isMember(this.cluster, work.tag)) this.staying.add(work.tag, work)
    else this.shared.push(work)
  }

  refill (): void {}

  /** A member runs the work that stays on it first, then shared work. */
  take (worker: string): Work | undefined {
    if (this.staying.size > 0) {
      const work = this.staying.take(worker)
      if (work != null) return work
    }
    return this.shared.shift()
  }

  /** Back to the front of its member's line, or of the shared line if it has no member (any more). */
  putBack (work: Work, _worker: string): void {
    if (!this.staying.putBack(work)) this.shared.unshift(work)
  }

  /** The member's waiting work goes to the shared line, first, in its order. */
  memberLeft (member: string): void {
    const left = this.staying.memberLeft(member)
    for (let i = left.length - 1; i >= 0; i--) this.shared.unshift(left[i])
  }

  decided (_work: Work): void {}
}
