/**
 * Workers whose hello does not offer `chunks` (a grid-worker older than chunks) on a run with chunked stages.
 * They get none of those stages' work (worker-caps.ts); silently, that looks like a worker idling for no
 * reason, so the run tells its listener once per such worker (a re-join under the same name is not news) and
 * counts them for its progress and report.
 */
export type ChunklessListener = (worker: string, stages: readonly string[]) => void

export class ChunklessWorkers {
  /** Workers that joined without `chunks` while the run has chunked stages; kept after they leave. */
  private readonly seen = new Set<string>()
  private listener: ChunklessListener | undefined

  /** `chunkedStages`: the run's stages fed by a split range (chunk-plan.ts). */
  constructor (private readonly chunkedStages: readonly string[]) {}

  joined (worker: string, chunks: boolean): void {
    if (chunks || this.chunkedStages.length === 0 || this.seen.has(worker)) return
    this.seen.add(worker)
    this.listener?.(worker, this.chunkedStages)
  }

  /** Distinct workers that joined this run without `chunks` while it has chunked stages. */
  get count (): number {
    return this.seen.size
  }

  /** Called once per worker that cannot run this run's chunked stages; told at once of those seen before. */
  onChunkless (listener: ChunklessListener): void {
    this.listener = listener
    for (const worker of this.seen) listener(worker, this.chunkedStages)
  }
}
