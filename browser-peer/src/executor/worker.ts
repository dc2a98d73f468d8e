/**
 * The Web Worker entry of the WebWorkerPool: keeps one FunctionInstance per module, runs each batch's jobs in
 * order and posts all outcomes in one transferred buffer. Before each job it publishes which job runs and
 * since when (shared memory, or a message on pages without SharedArrayBuffer): WASM cannot be interrupted,
 * so the pool watches that and terminates this worker if a job overruns its timeout.
 */
import { FunctionInstance } from '../../../core/abi/host.js'
import { errorToData } from '../../../core/errors.js'
import { OutcomeWriter, PROGRESS_SLOTS, ProgressSlot, unpackJobs } from './messages.js'
import type { AddModule, BatchDone, FromWorker, RunBatch, ToWorker, WorkerInit } from './messages.js'

/** The part of DedicatedWorkerGlobalScope used here (the page's tsconfig has DOM types, not WebWorker ones). */
interface WorkerScope {
  postMessage: (message: FromWorker, transfer?: Transferable[]) => void
  addEventListener: (type: 'message', listener: (evt: MessageEvent<ToWorker>) => void) => void
}
const scope = globalThis as unknown as WorkerScope

interface LoadedModule {
  readonly message: AddModule
  /** Undefined until first used, and again after a failed call left it broken. */
  instance: FunctionInstance | undefined
}

let init: WorkerInit | undefined
let progress: Int32Array | undefined
const modules = new Map<string, LoadedModule>()

function nowMs (epochMs: number): number {
  // Wraps like the pool's reading of it; only differences are compared.
  return (performance.timeOrigin + performance.now() - epochMs) | 0
}

async function instanceOf (hash: string, settings: WorkerInit): Promise<FunctionInstance> {
  const loaded = modules.get(hash)
  if (loaded == null) throw new Error(`module ${hash} is not known to this worker`)
  if (loaded.instance == null || loaded.instance.broken) {
    loaded.instance = undefined
    loaded.instance = await FunctionInstance.instantiate(loaded.message.module, loaded.message.memory, settings.limits)
  }
  return loaded.instance
}

function started (batch: number, running: number, startedMs: number): void {
  if (progress != null) {
    // Start time first, then the index: the pool reads the index, then the time.
    Atomics.store(progress, ProgressSlot.startedMs, startedMs)
    Atomics.store(progress, ProgressSlot.batch, batch)
    Atomics.store(progress, ProgressSlot.running, running)
  } else {
    scope.postMessage({ type: 'progress', batch, running, startedMs })
  }
}

async function runBatch (batch: RunBatch, settings: WorkerInit): Promise<void> {
  const jobs = unpackJobs(batch.jobs)
  let inputBytes = 0
  for (const job of jobs) inputBytes += job.input.length
  const writer = new OutcomeWriter(inputBytes + 16 * jobs.length)
  for (let i = 0; i < jobs.length; i++) {
    const fn = batch.fns[jobs[i].fn]
    started(batch.seq, i + 1, nowMs(settings.epochMs))
    try {
      const instance = await instanceOf(fn.module, settings)
      writer.ok(instance.call(fn.export, jobs[i].input))
    } catch (err) {
      writer.error(errorToData(err))
    }
  }
  if (progress != null) Atomics.store(progress, ProgressSlot.running, 0)
  const { buffer, byteLength } = writer.finish()
  const done: BatchDone = { type: 'done', seq: batch.seq, outcomes: buffer, byteLength }
  scope.postMessage(done, [buffer])
}

// Messages are handled one after another: a module that arrives while a batch awaits an instantiation is
// stored before the next batch starts.
let pending: Promise<void> = Promise.resolve()
scope.addEventListener('message', evt => {
  const message = evt.data
  switch (message.type) {
    case 'init':
      init = message
      progress = message.progress != null ? new Int32Array(message.progress, 0, PROGRESS_SLOTS) : undefined
      scope.postMessage({ type: 'ready' })
      break
    case 'module':
      modules.set(message.hash, { message, instance: undefined })
      break
    case 'batch': {
      const settings = init
      pending = pending.then(async () => {
        if (settings == null) throw new Error('batch before init')
        await runBatch(message, settings)
      }).catch(err => {
        // A bug here must not leave the batch unanswered: the pool replaces this worker and re-runs the batch.
        scope.postMessage({ type: 'fault', message: (err as Error)?.message ?? String(err) })
      })
      break
    }
  }
})
