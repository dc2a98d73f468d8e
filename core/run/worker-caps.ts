/**
 * What each network worker said it can do in its hello, as the run state needs it: its thread count, and the
 * features whose work it must not get (side inputs, range chunks, chained chunks). Embedded workers are not
 * listed: they can do everything and have no per-worker cap.
 */
import type { StageState } from './stage-state.js'

export class WorkerCaps {
  private readonly threads = new Map<string, number>()
  private readonly withoutSide = new Set<string>()
  private readonly withoutChunks = new Set<string>()
  private readonly withoutChains = new Set<string>()

  joined (worker: string, sideInputs: boolean, threads: number | undefined, chunks: boolean, chains: boolean): void {
    if (!sideInputs) this.withoutSide.add(worker)
    if (!chunks) this.withoutChunks.add(worker)
    if (!chains) this.withoutChains.add(worker)
    if (threads != null) this.threads.set(worker, Math.max(1, threads))
  }

  left (worker: string): void {
    this.threads.delete(worker)
    this.withoutSide.delete(worker)
    this.withoutChunks.delete(worker)
    this.withoutChains.delete(worker)
  }

  /**
   * Whether `worker` may get work of `stage` at all: a worker without a feature gets none of a stage that
   * needs it (the queue cannot pick a kind of work per worker).
   */
  mayRun (stage: StageState, worker: string): boolean {
    if (stage.side != null && this.withoutSide.has(worker)) return false
    if (stage.chunks != null && this.withoutChunks.has(worker)) return false
    return stage.chain == null || !this.withoutChains.has(worker)
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
