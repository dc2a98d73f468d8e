/**
 * One FIFO of work per cluster member, with the total: the building block of the queues whose work is for
 * particular members (broadcast copies, partitioned items, work that stays on the member it comes from).
 */
import { Fifo } from '../../util/fifo.js'

export interface MemberBound {
  /** The member this work stays on. */
  member?: string
}

export class MemberFifos<W extends MemberBound> {
  private readonly queues = new Map<string, Fifo<W>>()
  private count = 0

  get size (): number {
    return this.count
  }

  /** Work for `member` (a member of the stage's cluster now), at the back of its queue. */
  add (member: string, work: W): void {
    work.member = member
    let queue = this.queues.get(member)
    if (queue == null) {
      queue = new Fifo()
      this.queues.set(member, queue)
    }
    queue.push(work)
    this.count++
  }

  /** The next work for `member`, if any. */
  take (member: string): W | undefined {
    const work = this.queues.get(member)?.shift()
    if (work != null) this.count--
    return work
  }

  /** Puts work back at the front of its member's queue (a retry); false if that member is gone. */
  putBack (work: W): boolean {
    const queue = work.member != null ? this.queues.get(work.member) : undefined
    if (queue == null) return false
    queue.unshift(work)
    this.count++
    return true
  }

  /** `member` left: returns its waiting work, in order, no longer bound to anyone. */
  memberLeft (member: string): W[] {
    const queue = this.queues.get(member)
    this.queues.delete(member)
    const items: W[] = []
    for (let w = queue?.shift(); w != null; w = queue!.shift()) {
      w.member = undefined
      items.push(w)
    }
    this.count -= items.length
    return items
  }
}
