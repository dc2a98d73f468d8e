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
import { Fifo } from '../util/fifo.js'
import { MemberFifos } from './member-fifos.js'
import { finishHash, HASH_SEED, hashText } from '../util/hash.js'

export interface MemberWork {
  /** The member this work is for (set by distribute). */
  member?: string
  /** Partition key id (placement of partitioned work); unused for broadcast. */
  readonly partKey?: string
}

export type MemberMode = 'broadcast' | 'partition'

export class MemberQueues<W extends MemberWork> {
  private readonly pending = new Fifo<W>()
  private readonly fifos = new MemberFifos<W>()
  /** partition: key id → owning member */
  private readonly owners = new Map<string, string>()

  /** `copy(work, member)` makes a member's copy of a broadcast item. */
  constructor (readonly mode: MemberMode, private readonly copy: (work: W, member: string) => W) {}

  /** Work waiting here, pending or in members' queues. */
  get size (): number {
    return this.pending.size + this.fifos.size
  }

  /** Keys assigned so far (partition), for tests and reports. */
  ownerOf (key: string): string | undefined {
    return this.owners.get(key)
  }

  /** A new item for this stage; it waits until distributed. */
  add (work: W): void {
    this.pending.push(work)
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
        for (const member of members) this.fifos.add(member, this.copy(work, member))
        grown += members.length - 1
      } else {
        const key = work.partKey ?? ''
        let owner = this.owners.get(key)
        if (owner == null || !present!.has(owner)) {
          owner = rendezvous(key, members)
          this.owners.set(key, owner)
        }
        this.fifos.add(owner, work)
      }
    }
    return grown
  }

  /** The next work for `member`, if any. */
  take (member: string): W | undefined {
    return this.fifos.take(member)
  }

  /**
   * Puts work back at the front (a retry, an expired lease): for its member while it has a queue here,
   * otherwise (partition) for distribution again. Returns false if the work was dropped (broadcast copy of
   * a member that left).
   */
  putBack (work: W): boolean {
    if (this.fifos.putBack(work)) return true
    if (this.mode !== 'partition') return false
    work.member = undefined
    this.pending.unshift(work)
    return true
  }

  /**
   * A member left. Broadcast: its copies are dropped (each member has its own; nobody else runs them).
   * Partition: its keys are forgotten and its queued items go back for distribution, first in line.
   * Returns how much the number of queued items shrank.
   */
  memberLeft (member: string): number {
    const items = this.fifos.memberLeft(member)
    if (this.mode === 'broadcast') return items.length
    for (const [key, owner] of this.owners) if (owner === member) this.owners.delete(key)
    for (let i = items.length - 1; i >= 0; i--) this.pending.unshift(items[i])
    return 0
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
