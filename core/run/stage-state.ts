/**
 * What the run state keeps per stage and per job out: the stage's queue (its mode, chosen here once), the
 * in-flight counts, the ports' streams, the aggregate. run-state.ts owns the transitions; this file only the
 * shapes and the choice of queue.
 */
import type { StageSpec } from '../flow/model.js'
import { streamOf } from '../flow/model.js'
import type { FunctionRef, Job, JobCombiner } from '../jobs.js'
import { KeyedAggregate } from './aggregate.js'
import { AggregateQueue } from './queues/aggregate-queue.js'
import { BroadcastQueue } from './queues/broadcast-queue.js'
import { PartitionedQueue } from './queues/partitioned-queue.js'
import { PinnedQueue } from './queues/pinned-queue.js'
import { SharedQueue } from './queues/shared-queue.js'
import type { MembershipView, StageQueue, Work } from './queues/stage-queue.js'
import { VerifiedQueue } from './queues/verified-queue.js'
import { RangeQueue } from './queues/range-queue.js'
import { ChunkSizer, TARGET_COMBINED_CHUNK_MS } from './chunks.js'
import { ItemChunkQueue } from './queues/item-chunk-queue.js'
import type { ChainState } from './chain-run.js'

export type { Work } from './queues/stage-queue.js'

export interface StageState {
  readonly spec: StageSpec
  readonly fn: FunctionRef
  /** Where the stage's work waits (its mode: shared, pinned, broadcast, partitioned, verified, aggregate). */
  readonly queue: StageQueue
  readonly maxInFlight: number
  /** Stream id written by each output port, by port index. */
  readonly portStreams: readonly string[]
  /** Aggregate stages: the values folded so far (the queue holds their combine jobs). */
  readonly aggregate?: KeyedAggregate
  /** The cluster whose members alone run this stage. */
  readonly cluster?: string
  /** The side input (stream id) whose value the function receives with each item. */
  readonly side?: string
  /** Stages with maxInstances: jobs out per worker (each worker holds at most its thread count). */
  readonly byWorker?: Map<string, number>
  /**
   * Outputs depend on the input alone (a map stage without side input): a journaled job of it can stand in
   * for running it again. Replayed when routed, or when taken for queues that copy work (broadcast).
   */
  readonly memoizable: boolean
  /**
   * Stages a split range source feeds (chunkable: see `takesChunks`): the queue that cuts its chunks and the
   * sizer that learns their cost per item.
   */
  readonly chunks?: StageChunks
  /** A chain's head (chain-plan.ts): its range chunks run the whole chain; set once at run start (chain-run.ts). */
  chain?: ChainState
  inFlight: number
  readonly counts: StageCounts
}

/** How a chunked stage's work is cut (a stage may read a split range and a split file source both). */
export interface StageChunks {
  readonly sizer: ChunkSizer
  /** A split range source feeds the stage. */
  readonly ranges?: RangeQueue
  /** A split file source feeds the stage. */
  readonly items?: ItemChunkQueue
  /** Output ports whose only reader is an aggregate stage: a chunk's outputs there are combined (combiner.ts). */
  readonly combine?: readonly ChunkCombiner[]
}

/** A port of a chunked map stage whose outputs the worker folds with an aggregate's combine function. */
export type ChunkCombiner = JobCombiner

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

/**
 * Whether a stage can run chunks of a range: a map stage whose function sees one item at a time and whose
 * items need not be told apart on their way in (no side input, not broadcast, not partitioned by key).
 */
export function takesChunks (stage: StageSpec): boolean {
  return stage.kind === 'map' && stage.sideInput == null && stage.broadcast !== true && stage.partition == null
}

/**
 * The job that runs `work` of `stage`: a plain job, one with a side input, or a chunk (of a range or of items)
 * with the stage's combiners; a chain head's range chunks are chained chunks (chains start from ranges only).
 */
export function jobOf (stage: StageState, work: Work, id: number): Job {
  const { fn, spec } = stage
  if (work.chunk == null) return stage.side == null ? { id, fn, input: work.input, timeoutMs: spec.timeoutMs } : { id, fn, input: work.input, timeoutMs: spec.timeoutMs, side: stage.side }
  // a chunk is sized to a small fraction of the stage's timeout, which it must meet as a whole
  const chunk = 'kind' in work.chunk ? 'items' : 'range'
  const chain = stage.chain
  if (chain != null && chunk === 'range') return { id, fn, input: work.input, timeoutMs: chain.timeoutMs, chunk, chain: chain.fns }
  const combine = stage.chunks?.combine
  return combine == null ? { id, fn, input: work.input, timeoutMs: spec.timeoutMs, chunk } : { id, fn, input: work.input, timeoutMs: spec.timeoutMs, chunk, combine }
}

export interface StageStateOptions {
  /** A split range source feeds the stage: its queue cuts chunks (range-queue.ts). */
  readonly chunked?: boolean
  /** A split file source feeds the stage: its queue cuts item chunks (item-chunk-queue.ts). */
  readonly itemChunked?: boolean
  /** Ports of a chunked stage whose outputs workers combine (chunk-plan.ts, chunkCombiners). */
  readonly combine?: readonly ChunkCombiner[]
}

export function createStageState (stage: StageSpec, fn: FunctionRef, membership: MembershipView, options: StageStateOptions = {}): StageState {
  const aggregate = stage.kind === 'aggregate' ? new KeyedAggregate(stage.name) : undefined
  const queue = queueFor(stage, membership)
  let chunks: StageChunks | undefined
  let top = queue
  if (options.chunked === true || options.itemChunked === true) {
    const combined = options.combine != null && options.combine.length > 0
    const sizer = combined ? new ChunkSizer(undefined, TARGET_COMBINED_CHUNK_MS) : new ChunkSizer()
    const size = (): number => sizer.size
    const ranges = options.chunked === true ? new RangeQueue({ inner: queue, size }) : undefined
    const items = options.itemChunked === true ? new ItemChunkQueue({ inner: ranges ?? queue, size }) : undefined
    top = items ?? ranges ?? queue
    chunks = { sizer, ranges, items, ...(combined ? { combine: options.combine } : {}) }
  }
  return {
    spec: stage,
    fn,
    queue: aggregate != null ? new AggregateQueue(aggregate, queue) : top,
    chunks,
    maxInFlight: stage.maxInstances ?? Number.POSITIVE_INFINITY,
    portStreams: stage.outputs.map(port => streamOf(stage.name, port)),
    aggregate,
    cluster: stage.cluster,
    side: stage.kind === 'map' ? stage.sideInput : undefined,
    byWorker: stage.maxInstances != null ? new Map() : undefined,
    memoizable: stage.kind === 'map' && stage.sideInput == null,
    inFlight: 0,
    counts: { done: 0, failed: 0, retried: 0, emitted: 0, replayed: 0 }
  }
}

/** The stage's mode. The flow validator allows `verify` only without a cluster, and broadcast or partition only with one. */
function queueFor (stage: StageSpec, membership: MembershipView): StageQueue {
  if (stage.cluster != null) {
    if (stage.broadcast === true) return new BroadcastQueue(stage.cluster, membership)
    if (stage.partition != null) return new PartitionedQueue(stage.name, stage.partition.by, stage.cluster, membership)
  }
  if (stage.verify != null) return new VerifiedQueue(stage.verify.replicas)
  if (stage.cluster != null) return new PinnedQueue(stage.cluster, membership)
  return new SharedQueue()
}
