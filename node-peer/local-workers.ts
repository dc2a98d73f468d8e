/**
 * Embedded workers: connects a job board (the coordinator's RunBoard, or one FlowRun) to a local JobExecutor
 * (the worker_threads pool). The batching is the worker side's own (core/worker/batch-dispatcher.ts, as in
 * WorkerAgent): every thread busy with one batch running and one waiting, sized by BatchSizer; here the jobs
 * come straight from the board and the outcomes go straight back to it. Jobs of a run that ended are recalled
 * from the executor, as a network worker drops them.
 */
import { errorToData, ExecutorError } from '../core/errors.js'
import type { Job, JobExecutor, JobOutcome } from '../core/jobs.js'
import type { JobBoard } from '../core/grid/job-board.js'
import { BatchDispatcher } from '../core/worker/batch-dispatcher.js'
import type { BatchSink, BatchSource } from '../core/worker/batch-dispatcher.js'
import { withSideValue } from '../core/protocol/side-values.js'

export class LocalWorkers implements BatchSource, BatchSink {
  private readonly dispatcher: BatchDispatcher
  private unsubscribe: (() => void) | undefined
  private stopped = false

  constructor (private readonly run: JobBoard, private readonly executor: JobExecutor, readonly workerName = 'local') {
    this.dispatcher = new BatchDispatcher({ executor, source: this, sink: this })
  }

  start (): void {
    const offWork = this.run.onWork(() => { this.dispatcher.fill() })
    // jobs of a run that ended stop at once (their JobRecalledError outcomes are late results the board drops)
    const offRecall = this.run.onRecall?.(recalled => { this.executor.recall?.(recalled) })
    this.unsubscribe = () => { offWork(); offRecall?.() }
    this.dispatcher.fill()
  }

  stop (): void {
    this.stopped = true
    this.unsubscribe?.()
  }

  /** BatchSource: at least one, so the run is asked (it knows best whether something can be taken). */
  readonly available = (): number => this.stopped ? 0 : Math.max(this.run.queued, 1)

  readonly take = (size: number): Job[] => {
    const taken = this.run.takeJobs(size, this.workerName)
    if (taken.length === 0) return taken
    // side inputs: the value is right here, so it is simply put in each job's input
    return taken.map(job => job.side == null ? job : { ...job, input: withSideValue(job.input, this.run.sideValue(job.side)?.bytes) })
  }

  /** BatchSink: outcomes go back to the run (which calls onWork when there is more to take). */
  readonly done = (_batch: readonly Job[], outcomes: JobOutcome[]): void => {
    this.run.complete(outcomes, this.workerName)
  }

  readonly failed = (batch: readonly Job[], err: unknown): void => {
    // The executor itself failed (closed): report every job as failed so nothing hangs.
    const error = errorToData(new ExecutorError(String((err as Error)?.message ?? err)))
    this.run.complete(batch.map(job => ({ id: job.id, ok: false as const, error })), this.workerName)
  }
}
