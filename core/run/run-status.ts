/**
 * What every part of a run's state shares: how much work waits in queues (sources are throttled on it) and
 * the first job failure (after which nothing new is handed out).
 */
import type { ErrorData } from '../jobs.js'

export interface JobFailure {
  readonly stage: string
  /** The msgpack input of the job that failed. */
  readonly input: Uint8Array
  readonly attempts: number
  readonly error: ErrorData
}

export class RunStatus {
  /** Work waiting in queues (all stages), not counting jobs out. */
  queued = 0
  private first: JobFailure | undefined

  get failure (): JobFailure | undefined {
    return this.first
  }

  /** Records a failure; only the first one is kept (it is the one reported). */
  fail (failure: JobFailure): void {
    this.first ??= failure
  }
}
