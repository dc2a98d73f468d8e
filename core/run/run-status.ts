/**
 * What every part of a run's state shares: the first job failure (after which nothing new is handed out).
 * (How much work waits is no counter: it is the sum of the stage queues' sizes, RunState.itemsQueued.)
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
  private first: JobFailure | undefined

  get failure (): JobFailure | undefined {
    return this.first
  }

  /** Records a failure; only the first one is kept (it is the one reported). */
  fail (failure: JobFailure): void {
    this.first ??= failure
  }
}
