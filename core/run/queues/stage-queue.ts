/**
 * The queue of one stage: where its work waits until a worker takes it. A stage's mode is the choice of
 * implementation, made once when the stage state is created (stage-state.ts):
 *
 *   shared-queue.ts       any worker takes any work, first in first out (the common case)
 *   pinned-queue.ts       a stage pinned to a cluster: work that comes from a member stays on that member
 *   broadcast-queue.ts    every item copied to each member of the cluster (one job per (item, member))
 *   partitioned-queue.ts  every item to the member owning its key
 *   verified-queue.ts     every item run on several distinct workers until the replicas agree
 *   aggregate-queue.ts    items fold into the stage's keyed aggregate; its combine jobs wait in an inner queue
 *   range-queue.ts        pieces of a split range source, cut into chunks as workers ask (into an inner queue)
 *   item-chunk-queue.ts   items of a split file source, cut into item chunks as workers ask (likewise)
 *
 * The run state keeps no count of its own: the work queued in a run is the sum of its queues' sizes, so
 * sources are throttled (high water) on exactly what waits. Pure bookkeeping: no I/O, no timers.
 */
import type { RangeChunk } from '../chunks.js'
import type { ItemChunk } from '../item-chunks.js'
import type { ReplicaGroup } from '../verification.js'

/** One item of work for a stage: the input of the job (or jobs, for replicas) it becomes. */
export interface Work {
  readonly input: Uint8Array
  attempts: number
  /** Combine jobs of an aggregate stage: the key they fold (aggregate-queue.ts). */
  readonly key?: string
  /** The cluster member whose output this item derives from (shown by sinks as `[worker/0] value`). */
  readonly tag?: string
  /** Broadcast and partitioned stages, and work staying on a member: the member this work is for. */
  member?: string
  /** Partitioned stages: the identity of the item's key. */
  readonly partKey?: string
  /**
   * A chunk: one job for `chunk.count` items, of a split range source (`input` is its encoding) or of a split
   * file source (an ItemChunk: `input` holds the items, packed).
   */
  readonly chunk?: RangeChunk | ItemChunk
  /** The one item of a range chunk retried alone (router.ts, failChunkItem): journaled as a chunk of one item. */
  readonly fromChunk?: RangeChunk
  /** Stages with `verify`: the replicas of this work (set when its first replica is handed out). */
  group?: ReplicaGroup
}

/** What queues of pinned stages need to know about clusters (ClusterMembership, placement.ts). */
export interface MembershipView {
  isMember (cluster: string, worker: string): boolean
  /** Items may be handed to the cluster's members now (it has been complete, and has a member). */
  isReady (cluster: string): boolean
  members (cluster: string): readonly string[]
}

export interface StageQueue {
  /** Work waiting here, not counting jobs out (except verified work, counted until its replicas decide). */
  readonly size: number
  /** Work is copied when handed out (broadcast): a resumed run replays each copy when taken, not when routed. */
  readonly replaysOnTake: boolean
  /**
   * New work for the stage, at the back of the line. Throws when the item does not fit the stage (an
   * aggregate's or a partitioned stage's item that is not a `[key, value]` pair): the run fails with it.
   */
  push (work: Work): void
  /**
   * A worker is about to take from this stage (also called when an aggregate finalises): moves work that
   * became ready into line (an aggregate's groups to combine; broadcast and partitioned items once their
   * cluster is ready) and starts a new round of `take`.
   */
  refill (): void
  /** The next work `worker` may run (it is allowed to run the stage), or undefined. */
  take (worker: string): Work | undefined
  /**
   * A job of `work` run by `worker` ended without a result to keep (failed and retried, lease expired,
   * worker gone): the work goes back first in line, or its replica slot opens again. A broadcast copy
   * whose member left is dropped.
   */
  putBack (work: Work, worker: string): void
  /** `member` left its clusters: work waiting for it goes to other members, or (broadcast copies) is dropped. */
  memberLeft (member: string): void
  /**
   * Work taken from here was decided (outputs accepted, or the run failed on it). Only a queue that still
   * counts work while its jobs are out (verified replicas) has anything to let go; the run state calls this
   * for replicated work only, so the hot path of other stages makes no call.
   */
  decided (work: Work): void
}
