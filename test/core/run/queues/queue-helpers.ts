/** Shared pieces of the stage queue tests: work items, a membership to steer, draining a queue. */
import { decodeValue, encodeValue } from '../../../../core/codec.js'
import type { MembershipView, StageQueue, Work } from '../../../../core/run/queues/stage-queue.js'

/** Work whose input is `value` (msgpack); `tag`: the member it comes from. */
export function work (value: unknown, tag?: string): Work {
  return tag == null ? { input: encodeValue(value), attempts: 0 } : { input: encodeValue(value), attempts: 0, tag }
}

export const valueOf = (w: Work | undefined): unknown => w == null ? undefined : decodeValue(w.input)

/** One cluster whose members are `members` (mutable) and which is ready once `ready` is set. */
export class FakeMembership implements MembershipView {
  constructor (public members_: string[] = [], public ready = true) {}
  isMember (_cluster: string, worker: string): boolean { return this.members_.includes(worker) }
  isReady (_cluster: string): boolean { return this.ready && this.members_.length > 0 }
  members (_cluster: string): readonly string[] { return this.members_ }
}

/** Everything `worker` takes in one round (refill, then take until nothing), as values. */
export function drain (queue: StageQueue, worker: string): unknown[] {
  queue.refill()
  const out: unknown[] = []
  for (let w = queue.take(worker); w != null; w = queue.take(worker)) out.push(valueOf(w))
  return out
}
