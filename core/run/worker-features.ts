/**
 * Workers whose hello lacks a chunk feature a run needs (`chunks` for range chunks, `item-chunks` for item
 * chunks and combiners: a grid-worker older than them). They get none of those stages' work
 * (worker-caps.ts); silently, that looks like a worker idling for no reason, so the run tells its listener
 * once per such worker (a re-join under the same name is not news) and counts them for its progress and report.
 */
export type ChunklessListener = (worker: string, stages: readonly string[]) => void

export class ChunklessWorkers {
  /** Workers that joined unable to run some chunked stage, with those stages; kept after they leave. */
  private readonly seen = new Map<string, readonly string[]>()
  private listener: ChunklessListener | undefined

  /** `stages`: the run's chunked stages whose chunks `worker` cannot run (worker-caps.ts, mayRunChunks). */
  joined (worker: string, stages: readonly string[]): void {
    if (stages.length === 0 || this.seen.has(worker)) return
    this.seen.set(worker, stages)
    this.listener?.(worker, stages)
  }

  /** Distinct workers that joined this run unable to run some of its chunked stages. */
  get count (): number {
    return this.seen.size
  }

  /** Called once per worker that cannot run some of this run's chunked stages; told at once of those seen before. */
  onChunkless (listener: ChunklessListener): void {
    this.listener = listener
    for (const [worker, stages] of this.seen) listener(worker, stages)
  }
}
