/** Errors a Coordinator throws for its host to map (the CLI: exit codes). */
import { GridError } from '../../core/errors.js'

/** The coordinator's AbortSignal stopped it before its run ended by itself. */
export class CoordinatorInterruptedError extends GridError {
  static override name = 'CoordinatorInterruptedError'
  /** `resumable`: the run's journal holds finished jobs, so `--resume` continues it. */
  constructor (message: string, readonly resumable: boolean) {
    super(message)
  }
}
