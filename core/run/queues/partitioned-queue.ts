/**
 * The queue of a partitioned stage: every item goes to the member owning its key. A key is given to a
 * member the first time one of its items is handed out (rendezvous hashing over the members present, which
 * spreads keys evenly) and stays with that member while it is a member; when the member leaves, its keys are
 * given out again and its waiting items go back for distribution, first in line. Items wait in `pending`
 * until the cluster is ready (placement.ts).
 */
import { decodeValue } from '../../codec.js'
import { PartitionInputError } from '../../errors.js'
import { Fifo } from '../../util/fifo.js'
import { finishHash, HASH_SEED, hashText } from '../../util/hash.js'
import { keyId } from '../aggregate.js'
import { describeBytes } from '../../util/describe.js'
import { MemberFifos } from './member-fifos.js'
import type { MembershipView, StageQueue, Work } from './stage-queue.js'

export class PartitionedQueue implements StageQueue {
  readonly replaysOnTake = false
  private readonly pending = new Fifo<Work>()
  private readonly lines = new MemberFifos<Work>()
  /** key id → owning member */
  private readonly owners = new Map<string, string>()

  constructor (
    private readonly stage: string,
    private readonly by: 'key' | 'value',
    private readonly cluster: string,
    private readonly membership: MembershipView
  ) {}

  /** Items not distributed yet, and items waiting for their key's owner. */
  get size (): number {
    return this.pending.size + this.lines.size
  }

  /** The member owning a key (by key id, aggregate.ts's keyId), once it was handed out. */
  ownerOf (key: string): string | undefined {
    return this.owners.get(key)
  }

  /** Throws PartitionInputError when the stage is partitioned by key and the item is not a pair. */
  push (work: Work): void {
    const partKey = partitionKey(work.input, this.by)
    if (partKey == null) {
      throw new PartitionInputError(`stage "${this.stage}" is partitioned by ${this.by}${this.by === 'key' ? ' and reads [key, value] pairs' : ''}, but received ${describeBytes(work.input)}`)
    }
    this.pending.push({ ...work, partKey })
  }

  refill (): void {
    if (this.pending.size > 0 && this.membership.isReady(this.cluster)) this.distribute(this.membership.members(this.cluster))
  }

  /** Hands every pending item to its key's owner among `members`, giving unowned keys an owner. */
  distribute (members: readonly string[]): void {
    if (members.length === 0) return
    const present = new Set(members)
    for (let work = this.pending.shift(); work != null; work = this.pending.shift()) {
      const key = work.partKey ?? ''
      let owner = this.owners.get(key)
      if (owner == null || !present.has(owner)) {
        owner = rendezvous(key, members)
        this.owners.set(key, owner)
      }
      this.lines.add(owner, work)
    }
  }

  take (worker: string): Work | undefined {
    return this.lines.take(worker)
  }

  /** Back to the front of its owner's line, or (owner gone) of the pending items, to be distributed again. */
  putBack (work: Work, _worker: string): void {
    if (this.lines.putBack(work)) return
    work.member = undefined
    this.pending.unshift(work)
  }

  /** The member's keys are forgotten; its waiting items go back for distribution, first in line. */
  memberLeft (member: string): void {
    const items = this.lines.memberLeft(member)
    for (const [key, owner] of this.owners) if (owner === member) this.owners.delete(key)
    for (let i = items.length - 1; i >= 0; i--) this.pending.unshift(items[i])
  }

  decided (_work: Work): void {}
}

/** The key identity of an item; undefined when `by: key` and the item is not a `[key, value]` pair. */
export function partitionKey (bytes: Uint8Array, by: 'key' | 'value'): string | undefined {
  let value: unknown
  try {
    value = decodeValue(bytes)
  } catch {
    return undefined
  }
  if (by === 'value') return keyId(value)
  return Array.isArray(value) && value.length === 2 ? keyId(value[0]) : undefined
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
