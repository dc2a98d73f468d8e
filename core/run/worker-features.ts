/**
 * What each network worker said in its hello that one run cares about: whether it runs side inputs and
 * chunks, and its thread count (embedded workers never join: they can do everything, with no per-worker cap).
 *
 * A worker without `chunks` (a grid-worker older than chunks) gets no work of a chunked stage. Silently, that
 * looks like a worker idling for no reason, so the run tells its listener once per such worker (a re-join
 * under the same name is not news) and counts them for its progress and report.
 */
export type ChunklessListener = (worker: string, stages: readonly string[]) => void

export class WorkerFeatures {
  private readonly withoutSide = new Set<string>()
  private readonly withoutChunks = new Set<string>()
  private readonly threads = new Map<string, number>()
  /** Workers that joined without `chunks` while the run has chunked stages; kept after they leave. */
  private readonly chunkless = new Set<string>()
  private listener: ChunklessListener | undefined

  /** `chunkedStages`: the run's stages fed by a split range (chunk-plan.ts). */
  constructor (private readonly chunkedStages: readonly string[]) {}

  joined (worker: string, sideInputs: boolean, threads: number | undefined, chunks: boolean): void {
    if (!sideInputs) this.withoutSide.add(worker)
    if (!chunks) this.withoutChunks.add(worker)
    if (threads != null) this.threads.set(worker, Math.max(1, threads))
    if (!chunks && this.chunkedStages.length > 0 && !this.chunkless.has(worker)) {
      this.chunkless.add(worker)
      this.listener?.(worker, this.chunkedStages)
    }
  }

  left (worker: string): void {
    this.withoutSide.delete(worker)
    this.withoutChunks.delete(worker)
    this.threads.delete(worker)
  }

  runsSideInputs (worker: string): boolean {
    return !this.withoutSide.has(worker)
  }

  runsChunks (worker: string): boolean {
    return !this.withoutChunks.has(worker)
  }

  /**
   * A stage with maxInstances (`byWorker`: its jobs out per worker) runs that many instances side by side: a
   * worker holds at most as many of its jobs as it has threads, so the instances spread over workers instead
   * of queueing on one. Embedded workers have no cap.
   */
  belowThreads (byWorker: ReadonlyMap<string, number> | undefined, worker: string): boolean {
    if (byWorker == null) return true
    return (byWorker.get(worker) ?? 0) < (this.threads.get(worker) ?? Number.POSITIVE_INFINITY)
  }

  /** Distinct workers that joined this run without `chunks` while it has chunked stages. */
  get chunklessCount (): number {
    return this.chunkless.size
  }

  /** Called once per worker that cannot run this run's chunked stages; told at once of those seen before. */
  onChunkless (listener: ChunklessListener): void {
    this.listener = listener
    for (const worker of this.chunkless) listener(worker, this.chunkedStages)
  }
}
