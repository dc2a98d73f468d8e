/**
 * What the run state keeps per stage and per job out: the queue, the in-flight counts, the ports' streams,
 * the stage's aggregate or per-member queues. run-state.ts owns the transitions; this file only the shapes.
 */
import type { StageSpec } from '../flow/model.js'
import { streamOf } from '../flow/model.js'
import type { FunctionRef, Job } from '../jobs.js'
import { decodeValue } from '../codec.js'
import { Fifo } from '../util/fifo.js'
import { KeyedAggregate, keyId } from './aggregate.js'
import { MemberFifos } from './member-fifos.js'
import { MemberQueues } from './member-queues.js'
import type { ReplicaGroup } from './verification.js'

export interface Work {
  readonly input: Uint8Array
  attempts: number
  /** For combine jobs of an aggregate stage: the key they fold. */
  readonly key?: string
  /** The cluster member whose output this item derives from (shown by sinks as `[worker/0] value`). */
  readonly tag?: string
  /** Broadcast and partitioned stages, and work staying on a member: the member this work is for. */
  member?: string
  /** Partitioned stages: the identity of the item's key. */
  readonly partKey?: string
  /** Stages with `verify`: the replicas of this work (set when its first replica is handed out). */
  group?: ReplicaGroup
}

export interface StageState {
  readonly spec: StageSpec
  readonly fn: FunctionRef
  readonly queue: Fifo<Work>
  readonly maxInFlight: number
  /** Stream id written by each output port, by port index. */
  readonly portStreams: readonly string[]
  readonly aggregate?: KeyedAggregate
  /** The cluster whose members alone run this stage. */
  readonly cluster?: string
  /** The side input (stream id) whose value the function receives with each item. */
  readonly side?: string
  /** Stages with maxInstances: jobs out per worker (each worker holds at most its thread count). */
  readonly byWorker?: Map<string, number>
  /** Broadcast and partitioned stages: work per member instead of `queue`. */
  readonly members?: MemberQueues<Work>
  /** Other pinned stages (no verify): work that stays on the member it comes from, besides `queue`. */
  readonly follows?: MemberFifos<Work>
  /** Stages with `verify`: work whose replicas are out or still wanted (still counted as queued). */
  readonly verifying?: Set<Work>
  /**
   * Outputs depend on the input alone (a map stage without side input): a journaled job of it can stand in
   * for running it again. Replayed when routed, except broadcast copies: when handed to each member.
   */
  readonly memoizable: boolean
  inFlight: number
  readonly counts: StageCounts
}

export interface StageCounts {
  done: number
  failed: number
  retried: number
  emitted: number
  /** Jobs not run again on a resumed run: their outputs came from the journal (included in `done`). */
  replayed: number
}

export interface OutJob {
  readonly job: Job
  readonly stage: StageState
  readonly work: Work
  readonly worker: string
  readonly leaseUntil: number
}

export function createStageState (stage: StageSpec, fn: FunctionRef): StageState {
  return {
    spec: stage,
    fn,
    queue: new Fifo(),
    maxInFlight: stage.maxInstances ?? Number.POSITIVE_INFINITY,
    portStreams: stage.outputs.map(port => streamOf(stage.name, port)),
    aggregate: stage.kind === 'aggregate' ? new KeyedAggregate(stage.name) : undefined,
    cluster: stage.cluster,
    side: stage.kind === 'map' ? stage.sideInput : undefined,
    byWorker: stage.maxInstances != null ? new Map() : undefined,
    members: stage.broadcast === true
      ? new MemberQueues<Work>('broadcast', (w, member) => ({ input: w.input, attempts: 0, member }))
      : stage.partition != null ? new MemberQueues<Work>('partition', w => w) : undefined,
    verifying: stage.verify != null ? new Set() : undefined,
    follows: stage.cluster != null && stage.broadcast !== true && stage.partition == null && stage.verify == null ? new MemberFifos<Work>() : undefined,
    memoizable: stage.kind === 'map' && stage.sideInput == null,
    inFlight: 0,
    counts: { done: 0, failed: 0, retried: 0, emitted: 0, replayed: 0 }
  }
}

/** The key identity of an item of a partitioned stage; undefined when `by: key` and the item is not a pair. */
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

