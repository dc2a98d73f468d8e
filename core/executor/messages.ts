/**
 * The messages between a SandboxPool and its sandboxes (worker_threads or Web Workers): one closed union per
 * direction. Batches travel packed into one transferred ArrayBuffer each way (packing.ts).
 *
 * A sandbox's life: the pool posts `init`, then every known `module`; the sandbox answers `ready`; then each
 * `batch` is answered by one `done`. Without shared memory the sandbox also reports each job start with a
 * small `progress` message (timeout-watch.ts).
 */
import type { AbiLimits } from '../abi/abi.js'
import type { MemoryLimits } from '../abi/binary.js'
import type { BatchFn } from './packing.js'

/** First message to every sandbox: the settings it runs with. */
export interface SandboxInit {
  readonly type: 'init'
  /** Int32Array view over it (see ProgressSlot); absent when the platform cannot share memory. */
  readonly progress: SharedArrayBuffer | undefined
  /** Ms on the pool's clock (`performance.timeOrigin + performance.now()`) that progress times count from. */
  readonly epochMs: number
  readonly limits: AbiLimits
}

/** A module every sandbox gets: WebAssembly (compiled once by the pool) or a JavaScript function's source. */
export type AddModule = AddWasmModule | AddJsModule

export interface AddWasmModule {
  readonly type: 'module'
  readonly hash: string
  /** Compiled once by the pool; modules are structured-cloneable, so sandboxes never recompile. */
  readonly module: WebAssembly.Module
  /** ABI v1: the `env.memory` import's limits. WASI: the capped memory's limits (the module defines it). */
  readonly memory: MemoryLimits
  /** Present for a WASI command (core/abi/wasi/): its memory is already capped in `module`. */
  readonly abi?: 'wasi'
  /** WASI only: an instance may serve several calls (core/abi/wasi/reuse.ts). */
  readonly reusable?: boolean
}

/** A JavaScript function's module (core/abi/js/): its source text, run inside QuickJS by each sandbox. */
export interface AddJsModule {
  readonly type: 'module'
  readonly hash: string
  readonly abi: 'js'
  readonly source: string
}

export interface RunBatch {
  readonly type: 'batch'
  readonly seq: number
  /** Distinct functions of the batch; jobs refer to them by index. */
  readonly fns: readonly BatchFn[]
  /** Packed by `packJobs`. */
  readonly jobs: ArrayBuffer
  /** Chained chunks' chains: per chain, the indexes in `fns` of the functions after the job's own. */
  readonly chains?: ReadonlyArray<readonly number[]>
}

export type ToSandbox = SandboxInit | AddModule | RunBatch

/** Sent once the sandbox has its settings: a sandbox that dies before it was ready could not start at all. */
export interface SandboxReady {
  readonly type: 'ready'
}

export interface BatchDone {
  readonly type: 'done'
  readonly seq: number
  /** Written by OutcomeWriter (outcome-buffer.ts). */
  readonly outcomes: ArrayBuffer
  /** Bytes of `outcomes` in use (the writer grows by doubling and does not trim). */
  readonly byteLength: number
}

/** Without shared memory: the three progress slots (timeout-watch.ts), as a message per job start. */
export interface JobStarted {
  readonly type: 'progress'
  readonly batch: number
  /** index + 1 of the job now running, 0 when none */
  readonly running: number
  readonly startedMs: number
}

/** A bug in the sandbox's own code: the pool stops and replaces the sandbox (as a crash). */
export interface SandboxFault {
  readonly type: 'fault'
  readonly message: string
}

export type FromSandbox = SandboxReady | BatchDone | JobStarted | SandboxFault
