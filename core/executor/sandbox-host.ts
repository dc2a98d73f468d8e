/**
 * What a platform gives the shared pool: the only parts that differ between worker_threads and Web Workers.
 * A platform adapter is one small SandboxHost (pool side) and one SandboxPort (sandbox side, the entry file).
 */
import type { FromSandbox, ToSandbox } from './messages.js'

/** Starts sandboxes (worker_threads, Web Workers). */
export interface SandboxHost {
  /** What a sandbox is called in error messages ("the thread running this job died"). */
  readonly noun: string
  /** True when sandboxes can share memory with the pool (SharedArrayBuffer): timeouts watched without messages. */
  readonly sharedMemory: boolean
  /** Starts one sandbox running `serveSandbox`; its messages and its death go to `events`. */
  spawn: (events: SandboxEvents) => Sandbox
}

/** What the pool hears from one sandbox. */
export interface SandboxEvents {
  readonly onMessage: (message: FromSandbox) => void
  /** The sandbox failed or exited (uncaught error, out of memory, a message it could not read). */
  readonly onError: (err: Error) => void
}

/** The pool's handle on one sandbox. */
export interface Sandbox {
  post: (message: ToSandbox, transfer?: ArrayBuffer[]) => void
  /** Stops it, even in the middle of a WASM loop. */
  terminate: () => Promise<void> | void
  /** Called with true while the sandbox has work, false when idle: Node keeps the process alive only then. */
  hold?: (busy: boolean) => void
}

/** The sandbox's side of the channel (worker_threads `parentPort`, a Web Worker's global scope). */
export interface SandboxPort {
  post: (message: FromSandbox, transfer?: ArrayBuffer[]) => void
  onMessage: (listener: (message: ToSandbox) => void) => void
}
