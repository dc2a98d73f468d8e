/**
 * The queue of a broadcast stage: every item is copied once to each member of the cluster present when it
 * is handed out (one job per (item, member), which only that member may take). Items wait in `pending`
 * until the cluster is ready (placement.ts). A member that joins later gets the items distributed after it
 * joined; a member that leaves loses its copies (every other member has its own). A failed or expired copy
 * goes back to the front of its member's line.
 *
 * A copy's job may stand in for one a resumed run's journal holds, so copies are replayed when taken
 * (`replaysOnTake`), each tagged with its member.
 */
import { Fifo } from '../../util/fifo.js'
import { MemberFifos } from './member-fifos.js'
import type { MembershipView, StageQueue, Work } from './stage-queue.js'

export class BroadcastQueue implements StageQueue {
  readonly replaysOnTake = true
  private readonly pending = new Fifo<Work>()
  private readonly copies = new MemberFifos<Work>()

  constructor (private readonly cluster: string, private readonly membership: MembershipView) {}

  /** Items not distributed yet, and copies waiting for their members. */
  get size (): number {
    return this.pending.size + this.copies.size
  }

  push (work: Work): void {
    this.pending.push(work)
  }

  refill (): void {
    if (this.pending.size > 0 && this.membership.isReady(this.cluster)) this.distribute(this.membership.members(this.cluster))
  }

  /** Copies every pending item to each of `members`. */
  distribute (members: readonly string[]): void {
    if (members.length === 0) return
    for (let work = this.pending.shift(); work != null; work = this.pending.shift()) {
      for (const member of members) this.copies.add(member, { input: work.input, attempts: 0, member })
    }
  }

  take (worker: string): Work | undefined {
    return this.copies.take(worker)
  }

  /** Back to the front of its member's line; dropped if that member left. */
  putBack (work: Work, _worker: string): void {
    this.copies.putBack(work)
  }

  /** The member's copies are dropped: nobody else runs them. */
  memberLeft (member: string): void {
    this.copies.memberLeft(member)
  }

  decided (_work: Work): void {}
}
