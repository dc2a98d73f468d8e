/**
 * What each network worker said it can do in its hello, as the run state needs it: its thread count, and the
 * features whose work it must not get (side inputs, range chunks, item chunks and combiners, chained chunks).
 * The one place that decides whether a worker may get a stage's work. Embedded workers are not listed: they
 * can do everything and have no per-worker cap.
 */
import type { WorkerJoin } from '../grid/job-board.js'
import type { StageState } from './stage-state.js'

/** A worker's hello as far as its work goes (WorkerJoin without labels; every feature defaults to true). */
export type WorkerFeatures = Omit<WorkerJoin, 'labels'>

export class WorkerCaps {
  private readonly threads = new Map<string, number>()
  private readonly withoutSide = new Set<string>()
  private readonly withoutChunks = new Set<string>()
  private readonly withoutItemChunks = new Set<string>()
  private readonly withoutChains = new Set<string>()

  joined (worker: string, can: WorkerFeatures): void {
    if (can.sideInputs === false) this.withoutSide.add(worker)
    if (can.chunks === false) this.withoutChunks.add(worker)
    if (can.itemChunks === false) this.withoutItemChunks.add(worker)
    if (can.chains === false) this.withoutChains.add(worker)
    if (can.threads != null) this.threads.set(worker, Math.max(1, can.threads))
  }

  left (worker: string): void {
    this.threads.delete(worker)
    this.withoutSide.delete(worker)
    this.withoutChunks.delete(worker)
    this.withoutItemChunks.delete(worker)
    this.withoutChains.delete(worker)
  }

  /**
   * Whether `worker` may get work of `stage` at all: a worker without a feature gets none of a stage that
   * needs it (the queue cannot pick a kind of work per worker). Range chunks need `chunks`; item chunks and
   * a chunk's combiners `item-chunks`; a chain head's chunks `chains`.
   */
  mayRun (stage: StageState, worker: string): boolean {
    if (stage.side != null && this.withoutSide.has(worker)) return false
    return this.mayRunChunks(stage, worker) && (stage.chain == null || !this.withoutChains.has(worker))
  }

  /** Whether `worker` runs the kinds of chunk `stage` hands out (always, for a stage without chunks). */
  mayRunChunks (stage: StageState, worker: string): boolean {
    const chunks = stage.chunks
    if (chunks == null) return true
    if (chunks.ranges != null && this.withoutChunks.has(worker)) return false
    return (chunks.items == null && chunks.combine == null) || !this.withoutItemChunks.has(worker)
  }

  /**
   * A stage with maxInstances runs that many instances side by side: a worker holds at most as many of its
   * jobs as it has threads, so the instances spread over workers instead of queueing on one.
   */
  belowThreads (stage: StageState, worker: string): boolean {
    if (stage.byWorker == null) return true
    return (stage.byWorker.get(worker) ?? 0) < this.threadsOf(worker)
  }

  /** Jobs `worker` runs at once (from its hello); unlimited for embedded workers. */
  threadsOf (worker: string): number {
    return this.threads.get(worker) ?? Number.POSITIVE_INFINITY
  }
}
