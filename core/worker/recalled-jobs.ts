/**
 * The worker's side of a recall (job protocol `recall` → `dropped`): the coordinator ended a run and wants its
 * jobs back off this worker. Jobs still queued are taken out at once; jobs in the executor are recalled there
 * (it settles them at once and stops a sandbox running one, core/executor/pool.ts); jobs waiting for their
 * module are dropped when it arrives. Every recalled job the worker held is answered once, in `dropped`,
 * never as a result, and never counted as done or failed.
 */
import type { Job, JobExecutor, JobOutcome } from '../jobs.js'
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
   * Outcomes split into those of recalled jobs (their ids, answered by `dropped`) and the rest (results). Costs
   * nothing while no recall is pending.
   */
  split (outcomes: JobOutcome[]): { readonly dropped: number[], readonly results: JobOutcome[] } {
    if (this.pending.size === 0) return { dropped: [], results: outcomes }
    const dropped: number[] = []
    const results: JobOutcome[] = []
    for (const o of outcomes) {
      if (this.pending.delete(o.id)) dropped.push(o.id)
      else results.push(o)
    }
    return { dropped, results }
  }

  /** Jobs whose module arrived: those recalled meanwhile are dropped (their ids), the others kept. */
  arrived (jobs: Job[]): { readonly dropped: number[], readonly kept: Job[] } {
    if (this.pending.size === 0) return { dropped: [], kept: jobs }
    const dropped: number[] = []
    const kept: Job[] = []
    for (const job of jobs) {
      if (this.pending.delete(job.id)) dropped.push(job.id)
      else kept.push(job)
    }
    return { dropped, kept }
  }

  /** Nothing held any more (or a new session): no recalled job can come back. */
  clear (): void {
    this.pending.clear()
  }
}
