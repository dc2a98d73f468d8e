/**
 * Queues of a stage whose work goes to particular members of its cluster rather than to any of them:
 *
 * - broadcast: every item is copied once to each member present when it is handed out (one job per
 *   (item, member), which only that member may take);
 * - partition: every item goes to the member owning its key. A key is given to a member the first time it
 *   is handed out (rendezvous hashing over the members present, which spreads keys evenly) and stays with
 *   that member while it is a member; when the member leaves, its keys are given out again.
 *
 * Items wait in `pending` until the cluster is ready (placement.ts), then `distribute` moves them to the
 * members' queues. Pure bookkeeping: the run state decides when to distribute and counts queued work.
 */
import { Fifo } from './fifo.js'
import { finishHash, HASH_SEED, hashText } from './hash.js'

export interface MemberWork {
  /** The member this work is for (set by distribute). */
  member?: string
  /** Partition key id (placement of partitioned work); unused for broadcast. */
  readonly partKey?: string
}

export type MemberMode = 'broadcast' | 'partition'

export class MemberQueues<W extends MemberWork> {
  private readonly pending = new Fifo<W>()
  private readonly queues = new Map<string, Fifo<W>>()
  /** partition: key id → owning member */
  private readonly owners = new Map<string, string>()
  private count = 0

  /** `copy(work, member)` makes a member's copy of a broadcast item. */
  constructor (readonly mode: MemberMode, private readonly copy: (work: W, member: string) => W) {}

  /** Work waiting here, pending or in members' queues. */
  get size (): number {
    return this.count
  }

  /** Keys assigned so far (partition), for tests and reports. */
  ownerOf (key: string): string | undefined {
    return this.owners.get(key)
  }

  /** A new item for this stage; it waits until distributed. */
  add (work: W): void {
    this.pending.push(work)
    this.count++
  }

  /**
   * Hands pending items to `members` (non-empty): a copy to each (broadcast) or to the key's owner
   * (partition). Returns how much the number of queued items grew (broadcast copies).
   */
  distribute (members: readonly string[]): number {
    if (this.pending.size === 0 || members.length === 0) return 0
    let grown = 0
    const present = this.mode === 'partition' ? new Set(members) : undefined
    for (let work = this.pending.shift(); work != null; work = this.pending.shift()) {
      if (this.mode === 'broadcast') {
        for (const member of members) this.queueFor(member).push(this.copy(work, member))
        grown += members.length - 1
      } else {
        const key = work.partKey ?? ''
        let owner = this.owners.get(key)
        if (owner == null || !present!.has(owner)) {
          owner = rendezvous(key, members)
          this.owners.set(key, owner)
        }
        work.member = owner
        this.queueFor(owner).push(work)
      }
    }
    this.count += grown
    return grown
  }

  /** The next work for `member`, if any. */
  take (member: string): W | undefined {
    const work = this.queues.get(member)?.shift()
    if (work != null) this.count--
    return work
  }

  /**
   * Puts work back at the front (a retry, an expired lease): for its member while it has a queue here,
   * otherwise (partition) for distribution again. Returns false if the work was dropped (broadcast copy of
   * a member that left).
   */
  putBack (work: W): boolean {
    const queue = work.member != null ? this.queues.get(work.member) : undefined
    if (queue != null) {
      queue.unshift(work)
    } else if (this.mode === 'partition') {
      work.member = undefined
      this.pending.unshift(work)
    } else {
      return false
    }
    this.count++
    return true
  }

  /**
   * A member left. Broadcast: its copies are dropped (each member has its own; nobody else runs them).
   * Partition: its keys are forgotten and its queued items go back for distribution, first in line.
   * Returns how much the number of queued items shrank.
   */
  memberLeft (member: string): number {
    const queue = this.queues.get(member)
    this.queues.delete(member)
    if (this.mode === 'partition') {
      for (const [key, owner] of this.owners) if (owner === member) this.owners.delete(key)
      if (queue == null) return 0
      const items: W[] = []
      for (let w = queue.shift(); w != null; w = queue.shift()) items.push(w)
      for (let i = items.length - 1; i >= 0; i--) {
        items[i].member = undefined
        this.pending.unshift(items[i])
      }
      return 0
    }
    const dropped = queue?.size ?? 0
    this.count -= dropped
    return dropped
  }

  private queueFor (member: string): Fifo<W> {
    let queue = this.queues.get(member)
    if (queue == null) {
      queue = new Fifo()
      this.queues.set(member, queue)
    }
    return queue
  }
}

/** Highest-random-weight choice: the member whose hash with the key is largest (stable, evenly spread). */
export function rendezvous (key: string, members: readonly string[]): string {
  let best = members[0]
  let bestScore = -1
  for (const member of members) {
    const score = finishHash(hashText(HASH_SEED, `${member}\u0000${key}`))
    if (score > bestScore || (score === bestScore && member < best)) {
      best = member
      bestScore = score
    }
  }
  return best
}
