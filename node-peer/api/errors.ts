/**
 * Errors the TypeScript API adds to those of the grid (core/errors.ts: FlowValidationError, WasmTrapError, …;
 * node-peer/client: SubmitRefusedError, GridUnreachableError). They stay on the program's side: none travels.
 */
import { GridError } from '../../core/errors.js'
import type { RunSummary } from '../../core/run/flow-run.js'

/** The run was cancelled (`run.cancel()`, an aborted signal, a reader that stopped early, the coordinator). */
export class RunCancelledError extends GridError {
  static override name = 'RunCancelledError'
}

/** The run ended without success: `summary.failure` names the stage, the input and the error (`cause`). */
export class RunFailedError extends GridError {
  static override name = 'RunFailedError'
  constructor (message: string, readonly summary: RunSummary, options?: ErrorOptions) {
    super(message, options)
  }
}

/** The API was called in a way it cannot serve (a sink read twice, a code source missing, …); the message says how to fix it. */
export class GridUsageError extends GridError {
  static override name = 'GridUsageError'
}
