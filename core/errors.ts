/**
 * Named error classes shared by every part of edge-grid. Callers branch on `instanceof` or `name`,
 * never on message text. Errors that cross a boundary travel as `ErrorData` and come back through
 * `errorFromData`.
 */
import type { ErrorData } from './jobs.js'

export class GridError extends Error {
  static override name = 'GridError'
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = (this.constructor as typeof GridError).name
  }
}

/** A flow file is invalid; `file` and `path` (JSON path like `stages.count.input`) say where. */
export class FlowValidationError extends GridError {
  static override name = 'FlowValidationError'
  constructor (readonly file: string, readonly path: string, readonly expected: string) {
    super(`${file}: ${path === '' ? '(top level)' : path}: ${expected}`)
  }
}

/** A WebAssembly module does not follow the function ABI (forbidden import, missing export, …). */
export class ModuleRejectedError extends GridError {
  static override name = 'ModuleRejectedError'
}

/** The function trapped (unreachable, out of bounds, `grid.fail`, out of memory, …). */
export class WasmTrapError extends GridError {
  static override name = 'WasmTrapError'
}

/** A WASI command ended with a non-zero exit code (`proc_exit(n)`, `exit(n)` in C, `std::process::exit(n)` in Rust); the message has its stderr. */
export class WasiExitError extends GridError {
  static override name = 'WasiExitError'
}

/** An item or an output does not fit a WASI function's `io` mode (a byte array as JSON, a malformed output line, …). */
export class WasiIoError extends GridError {
  static override name = 'WasiIoError'
}

/** The call ran longer than its stage's `timeoutMs`; its sandbox was stopped. */
/** A JavaScript function threw (or its module did at load): the JS error's name, message and place. */
export class JsFunctionError extends GridError {
  static override name = 'JsFunctionError'
}

/** A value that cannot cross into or out of a JavaScript function as JSON (a byte array, a BigInt). */
export class JsValueError extends GridError {
  static override name = 'JsValueError'
}

export class JobTimeoutError extends GridError {
  static override name = 'JobTimeoutError'
}

/**
 * The coordinator recalled the job (its run ended, e.g. cancelled): it was dropped from the queue, or its
 * sandbox was stopped. Never reported to the coordinator as a result (the worker says `dropped`).
 */
export class JobRecalledError extends GridError {
  static override name = 'JobRecalledError'
}

/** The call emitted more bytes than allowed, or emitted on a port that does not exist. */
export class OutputLimitError extends GridError {
  static override name = 'OutputLimitError'
}

/** A job failed on every allowed attempt; the flow cannot complete. */
export class JobFailedError extends GridError {
  static override name = 'JobFailedError'
}

/** The executor was closed (or could not start its sandboxes): the batch was not run. */
export class ExecutorClosedError extends GridError {
  static override name = 'ExecutorClosedError'
}

/** The sandbox (thread, Web Worker) running the job died; the job may have caused it (e.g. host out of memory). */
export class SandboxCrashedError extends GridError {
  static override name = 'SandboxCrashedError'
}

/** A job names a module hash the executor was never given (`addModule`). */
export class UnknownModuleError extends GridError {
  static override name = 'UnknownModuleError'
}

/** The executor could not run a batch at all (it threw instead of answering): every job of it failed. */
export class ExecutorError extends GridError {
  static override name = 'ExecutorError'
}

/** An aggregate stage received an item that is not a `[key, value]` pair. */
export class AggregateInputError extends GridError {
  static override name = 'AggregateInputError'
}

/** A partitioned stage received an item it cannot partition (`by: key` needs `[key, value]` pairs). */
export class PartitionInputError extends GridError {
  static override name = 'PartitionInputError'
}

/** A stage with `verify` found no majority among the replicas of a job on distinct workers. */
export class VerificationError extends GridError {
  static override name = 'VerificationError'
}

/** A sink could not write (disk full, permission, a closed pipe): the run fails, its journal is kept. */
export class SinkError extends GridError {
  static override name = 'SinkError'
}

/** A coordinator hosts as many runs as it can (core/grid/run-board.ts, RUN_SLOTS): a new one must wait. */
export class RunBoardFullError extends GridError {
  static override name = 'RunBoardFullError'
}

/**
 * Every error class whose instances travel as `ErrorData` (job outcomes, a run's failure, a worker's report):
 * `errorFromData` rebuilds these by name, so receivers branch on `instanceof` as on the sending side.
 */
const known: Record<string, new (message: string) => GridError> = {
  GridError, ModuleRejectedError, WasmTrapError, JobTimeoutError, OutputLimitError, JobFailedError,
  ExecutorClosedError, SandboxCrashedError, UnknownModuleError, ExecutorError, AggregateInputError,
  PartitionInputError, VerificationError, SinkError, WasiExitError, WasiIoError,
  JsFunctionError, JsValueError, RunBoardFullError, JobRecalledError
}

/** The names `errorFromData` rebuilds as their classes. */
export const KNOWN_ERROR_NAMES: readonly string[] = Object.keys(known)

export function errorToData (err: unknown): ErrorData {
  if (err instanceof Error) return { name: err.name, message: err.message }
  return { name: 'Error', message: String(err) }
}

export function errorFromData (data: ErrorData): Error {
  const Cls = known[data.name]
  const err = Cls != null ? new Cls(data.message) : new GridError(data.message)
  if (Cls == null) err.name = data.name
  return err
}
