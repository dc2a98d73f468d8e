/**
 * The worker's side of a recall (job protocol `recall` → `dropped`): the coordinator ended a run and wants its
 * jobs back off this worker. Jobs still queued are taken out at once; jobs in the executor are recalled there
 * (it settles them at once and stops a sandbox running one, core/executor/pool.ts); jobs waiting for their
 * module are dropped when it arrives. Every recalled job the worker held is answered once, in `dropped`,
 * never as a result, and never counted as done or failed.
 */
import type { Job, JobExecutor } from '../jobs.js'
import type { Fifo } from '../util/fifo.js'

export class RecalledJobs {
  /** Recalled ids that may still come back from the executor or a module fetch. */
  private readonly pending = new Set<number>()

  /**
   * Recalls `ids`: returns those taken out of `queue` now (the others keep their order); the rest are recalled
   * in `executor` and remembered until their outcome comes (ids answered already are never seen again).
   */
  recall (ids: readonly number[], queue: Fifo<Job>, executor: JobExecutor): number[] {
    const wanted = new Set(ids)
    const dropped: number[] = []
    for (let n = queue.size; n > 0; n--) {
      const job = queue.shift()!
      if (wanted.has(job.id)) {
        dropped.push(job.id)
        wanted.delete(job.id)
      } else queue.push(job)
    }
    if (wanted.size === 0) return dropped
    for (const id of wanted) this.pending.add(id)
    executor.recall?.(id => wanted.has(id))
    return dropped
  }

  /**
   * Splits what came back (outcomes from the executor, or jobs whose module arrived) into the recalled ones, by
   * id (answered by `dropped`, each once), and the rest, kept in order. Costs nothing while no recall is pending.
   */
  sift<T extends { readonly id: number }> (items: T[]): { readonly dropped: number[], readonly kept: T[] } {
    if (this.pending.size === 0) return { dropped: [], kept: items }
    const dropped: number[] = []
    const kept: T[] = []
    for (const item of items) {
      if (this.pending.delete(item.id)) dropped.push(item.id)
      else kept.push(item)
    }
    return { dropped, kept }
  }

  /** Nothing held any more (or a new session): no recalled job can come back. */
  clear (): void {
    this.pending.clear()
  }
}
