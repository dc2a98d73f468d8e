/**
 * Embedded workers: connects a FlowRun to a local JobExecutor (the worker_threads pool). Keeps every thread
 * busy with one batch running and one waiting, sized by BatchSizer, and feeds outcomes back to the run.
 */
import type { JobExecutor } from '../core/jobs.js'
import type { FlowRun } from '../core/run/flow-run.js'
import { BatchSizer } from '../core/worker/batch-sizer.js'
import { withSideValue } from '../core/run/side-inputs.js'

export class LocalWorkers {
  private running = 0
  private readonly sizer = new BatchSizer()
  private unsubscribe: (() => void) | undefined
  private stopped = false

  constructor (private readonly run: FlowRun, private readonly executor: JobExecutor, readonly workerName = 'local') {}

  start (): void {
    this.unsubscribe = this.run.onWork(() => { this.fill() })
    this.fill()
  }

  stop (): void {
    this.stopped = true
    this.unsubscribe?.()
  }

  private fill (): void {
    const slots = this.executor.slots
    while (!this.stopped && this.running < slots * 2) {
      const available = this.run.queued
      const size = this.sizer.next(Math.max(available, 1), slots)
      const taken = this.run.takeJobs(size, this.workerName)
      if (taken.length === 0) return
      // side inputs: the value is right here, so it is simply put in each job's input
      const jobs = taken.map(job => job.side == null ? job : { ...job, input: withSideValue(job.input, this.run.sideValue(job.side)?.bytes) })
      this.running++
      const started = performance.now()
      this.executor.run(jobs).then(outcomes => {
        this.sizer.observe(jobs.length, performance.now() - started)
        this.running--
        this.run.complete(outcomes)
      }, err => {
        // The executor itself failed (closed): report every job as failed so nothing hangs.
        this.running--
        this.run.complete(jobs.map(job => ({ id: job.id, ok: false as const, error: { name: 'ExecutorError', message: String((err as Error)?.message ?? err) } })))
      })
    }
  }
}
