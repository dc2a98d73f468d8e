/**
 * The worker_threads entry of the ThreadPool: keeps one FunctionInstance per module, runs each batch's jobs in
 * order, and posts all outcomes in one transferred buffer. Before each job it publishes, in shared memory, which
 * job runs and since when: WASM cannot be interrupted, so the pool watches that and stops this thread if a job
 * overruns its timeout.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { FunctionInstance } from '../../core/abi/host.js'
import { errorToData } from '../../core/errors.js'
import { OutcomeWriter, PROGRESS_SLOTS, ProgressSlot, unpackJobs } from './messages.js'
import type { AddModule, BatchDone, FromThread, RunBatch, ThreadInit, ToThread } from './messages.js'

if (parentPort == null) throw new Error('node-peer/executor/thread.js is a worker_threads entry, not a program')
const port = parentPort
const init = workerData as ThreadInit
const progress = new Int32Array(init.progress, 0, PROGRESS_SLOTS)

interface LoadedModule {
  readonly message: AddModule
  /** Undefined until first used, and again after a failed call left it broken. */
  instance: FunctionInstance | undefined
}
const modules = new Map<string, LoadedModule>()

function nowMs (): number {
  // Wraps like the pool's reading of it; only differences are compared.
  return (performance.timeOrigin + performance.now() - init.epochMs) | 0
}

async function instanceOf (hash: string): Promise<FunctionInstance> {
  const loaded = modules.get(hash)
  if (loaded == null) throw new Error(`module ${hash} is not known to this thread`)
  if (loaded.instance == null || loaded.instance.broken) {
    loaded.instance = undefined
    loaded.instance = await FunctionInstance.instantiate(loaded.message.module, loaded.message.memory, init.limits)
  }
  return loaded.instance
}

async function runBatch (batch: RunBatch): Promise<void> {
  const jobs = unpackJobs(batch.jobs)
  let inputBytes = 0
  for (const job of jobs) inputBytes += job.input.length
  const writer = new OutcomeWriter(inputBytes + 16 * jobs.length)
  Atomics.store(progress, ProgressSlot.batch, batch.seq)
  for (let i = 0; i < jobs.length; i++) {
    const fn = batch.fns[jobs[i].fn]
    // Start time first, then the index: the pool reads the index, then the time.
    Atomics.store(progress, ProgressSlot.startedMs, nowMs())
    Atomics.store(progress, ProgressSlot.running, i + 1)
    try {
      const instance = await instanceOf(fn.module)
      writer.ok(instance.call(fn.export, jobs[i].input))
    } catch (err) {
      writer.error(errorToData(err))
    }
  }
  Atomics.store(progress, ProgressSlot.running, 0)
  const { buffer, byteLength } = writer.finish()
  const done: BatchDone = { type: 'done', seq: batch.seq, outcomes: buffer, byteLength }
  post(done, [buffer])
}

function post (message: FromThread, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer)
}

// Messages are handled one after another: a module that arrives while a batch awaits an instantiation is
// stored before the next batch starts.
let pending: Promise<void> = Promise.resolve()
port.on('message', (message: ToThread) => {
  switch (message.type) {
    case 'module':
      modules.set(message.hash, { message, instance: undefined })
      break
    case 'batch':
      // A bug here must not leave the batch unanswered: rethrown outside the chain it ends the thread, and
      // the pool's crash recovery takes over.
      pending = pending.then(async () => { await runBatch(message) }).catch(err => { setImmediate(() => { throw err }) })
      break
  }
})
post({ type: 'ready' })
