/**
 * Messages between the WebWorkerPool and its Web Workers. The batch packing (one transferable ArrayBuffer
 * per direction) is the Node pool's, reused as is: it is plain TypeScript over ArrayBuffers.
 *
 * Differences from worker_threads: a Web Worker has no `workerData`, so its settings arrive in the first
 * message (`init`); and SharedArrayBuffer only exists on cross-origin-isolated pages (COOP/COEP headers).
 * Without it the worker reports each job start with a small `progress` message instead of a shared-memory
 * write: the pool reads both into the same Int32Array, so the timeout logic is one.
 */
import type { AbiLimits } from '../../../core/abi/abi.js'
import type { AddModule, BatchDone, RunBatch, ThreadReady } from '../../../node-peer/executor/messages.js'

export { OutcomeWriter, packJobs, PROGRESS_SLOTS, ProgressSlot, unpackJobs, unpackOutcomes } from '../../../node-peer/executor/messages.js'
export type { AddModule, BatchDone, RunBatch, ThreadReady } from '../../../node-peer/executor/messages.js'

export interface WorkerInit {
  readonly type: 'init'
  /** Int32Array view over it (see ProgressSlot); absent when the page is not cross-origin isolated. */
  readonly progress: SharedArrayBuffer | undefined
  /** Ms on the pool's clock (`performance.timeOrigin + performance.now()`) that progress times count from. */
  readonly epochMs: number
  readonly limits: AbiLimits
}

export type ToWorker = WorkerInit | AddModule | RunBatch

/** Fallback for pages without SharedArrayBuffer: the same three progress slots, as a message. */
export interface JobStarted {
  readonly type: 'progress'
  readonly batch: number
  /** index + 1 of the job now running, 0 when none */
  readonly running: number
  readonly startedMs: number
}

/** A bug in the worker's own code: the pool stops and replaces the worker (as a crash). */
export interface WorkerFault {
  readonly type: 'fault'
  readonly message: string
}

export type FromWorker = ThreadReady | BatchDone | JobStarted | WorkerFault
