/**
 * ThreadPool: the Node JobExecutor, running jobs on worker_threads.
 *
 * - Modules are compiled and checked once, here; the compiled WebAssembly.Module is cloned to every thread
 *   (threads started later get all known modules), so threads never recompile.
 * - A batch is queued whole (FIFO); a free thread takes it, runs its jobs in order and answers with all
 *   outcomes at once. Both directions travel as one transferred ArrayBuffer (see messages.ts).
 * - Timeouts: WASM cannot be interrupted, so each thread publishes the job it runs and its start time in a
 *   SharedArrayBuffer; while work runs, a timer compares them with each job's `timeoutMs`. An overdue job
 *   fails with JobTimeoutError and its thread is terminated and replaced.
 * - A thread that dies (timeout, crash, out of memory) loses the outcomes of its current batch: the job it was
 *   running fails, every other job of that batch without an outcome is run again on another thread (functions
 *   are pure, so running twice is harmless). Each job gets exactly one outcome.
 */
import { Worker } from 'node:worker_threads'
import type { ResourceLimits } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { DEFAULT_LIMITS } from '../../core/abi/abi.js'
import type { AbiLimits, Emitted } from '../../core/abi/abi.js'
import { compileModule, sha256Hex } from '../../core/abi/host.js'
import { ExecutorClosedError, ModuleRejectedError, errorToData } from '../../core/errors.js'
import type { ErrorData, Job, JobExecutor, JobOutcome } from '../../core/jobs.js'
import { Fifo } from '../../core/run/fifo.js'
import { PROGRESS_SLOTS, ProgressSlot, packJobs, unpackOutcomes } from './messages.js'
import type { AddModule, FromThread, RunBatch, ThreadInit } from './messages.js'

export interface ThreadPoolInit {
  /** Number of threads (default: `os.availableParallelism()`). */
  readonly threads?: number
  /** Memory and output caps applied to every call. */
  readonly limits?: AbiLimits
  /** V8 heap caps per thread (worker_threads `resourceLimits`): a thread exceeding them dies and is replaced. */
  readonly resourceLimits?: ResourceLimits
  /** How often running jobs are checked against their timeout, in ms (default 25). */
  readonly checkEveryMs?: number
}

export interface ThreadPoolStats {
  /** Threads started, replacements included. */
  readonly threadsStarted: number
  /** Jobs stopped for exceeding their timeout. */
  readonly timeouts: number
  /** Threads that died on their own (not stopped by the pool). */
  readonly crashes: number
}

const DEFAULT_CHECK_MS = 25
/** Threads that die before listening, in a row, after which the pool gives up (e.g. thread.js is missing). */
const MAX_START_FAILURES = 3
/** Crashes of one batch part with no job to blame (the thread died between jobs) before its jobs fail. */
const MAX_UNBLAMED_CRASHES = 2

/** A batch as the caller sees it: one outcome slot per job, settled exactly once. */
interface BatchState {
  readonly jobs: readonly Job[]
  readonly outcomes: Array<JobOutcome | undefined>
  remaining: number
  settled: boolean
  readonly resolve: (outcomes: JobOutcome[]) => void
  readonly reject: (err: Error) => void
}

/** Jobs of one batch on their way to a thread: positions in `batch.jobs`. */
interface Task {
  readonly batch: BatchState
  readonly positions: readonly number[]
  readonly unblamedCrashes: number
}

interface Thread {
  readonly worker: Worker
  readonly progress: Int32Array
  /** False once the pool stopped it or saw it die: its later events are ignored. */
  alive: boolean
  ready: boolean
  running: { readonly task: Task, readonly seq: number } | undefined
}

export class ThreadPool implements JobExecutor {
  readonly slots: number
  private readonly limits: AbiLimits
  private readonly resourceLimits: ResourceLimits | undefined
  private readonly checkEveryMs: number
  private readonly threadUrl = new URL('./thread.js', import.meta.url)
  private readonly epochMs = performance.timeOrigin + performance.now()
  private readonly modules = new Map<string, AddModule>()
  private readonly compiling = new Map<string, Promise<void>>()
  private readonly queue = new Fifo<Task>()
  /** Parts of batches whose thread died: they go before newer batches. */
  private readonly retries: Task[] = []
  private readonly active = new Set<BatchState>()
  private threads: Thread[] = []
  private seq = 0
  private timer: ReturnType<typeof setInterval> | undefined
  private closed: Error | undefined
  private startFailures = 0
  private counters = { threadsStarted: 0, timeouts: 0, crashes: 0 }

  constructor (init: ThreadPoolInit = {}) {
    this.slots = Math.max(1, Math.floor(init.threads ?? availableParallelism()))
    this.limits = init.limits ?? DEFAULT_LIMITS
    this.resourceLimits = init.resourceLimits
    this.checkEveryMs = init.checkEveryMs ?? DEFAULT_CHECK_MS
    for (let i = 0; i < this.slots; i++) this.threads.push(this.startThread())
  }

  get stats (): ThreadPoolStats {
    return { ...this.counters }
  }

  hasModule (hash: string): boolean {
    return this.modules.has(hash)
  }

  async addModule (hash: string, bytes: Uint8Array): Promise<void> {
    if (this.closed != null) throw this.closed
    if (this.modules.has(hash)) return
    let compiling = this.compiling.get(hash)
    if (compiling == null) {
      compiling = this.compile(hash, bytes).finally(() => this.compiling.delete(hash))
      this.compiling.set(hash, compiling)
    }
    await compiling
  }

  async run (batch: readonly Job[]): Promise<JobOutcome[]> {
    if (this.closed != null) throw this.closed
    if (batch.length === 0) return []
    if (this.compiling.size > 0) {
      // A module still being added is not unknown: wait for it (its failure surfaces as unknown below).
      const waits = new Set<Promise<void>>()
      for (const job of batch) {
        const compiling = this.compiling.get(job.fn.module)
        if (compiling != null) waits.add(compiling)
      }
      await Promise.allSettled(waits)
      if (this.closed != null) throw this.closed
    }
    return await new Promise<JobOutcome[]>((resolve, reject) => {
      const state: BatchState = { jobs: batch, outcomes: new Array(batch.length).fill(undefined), remaining: batch.length, settled: false, resolve, reject }
      this.active.add(state)
      const positions: number[] = []
      for (let i = 0; i < batch.length; i++) {
        const hash = batch[i].fn.module
        if (this.modules.has(hash)) positions.push(i)
        else this.fail(state, i, { name: 'UnknownModuleError', message: `module ${hash} is unknown to this executor (addModule first)` })
      }
      if (positions.length > 0) {
        this.queue.push({ batch: state, positions, unblamedCrashes: 0 })
        this.pump()
      }
    })
  }

  /** Stops every thread; batches not finished yet reject with ExecutorClosedError, later calls too. */
  async close (): Promise<void> {
    await this.shutdown(new ExecutorClosedError('the executor was closed'))
  }

  private async shutdown (reason: ExecutorClosedError): Promise<void> {
    if (this.closed == null) this.closed = reason
    this.stopWatch()
    const threads = this.threads
    this.threads = []
    for (const thread of threads) thread.alive = false
    this.failEverything(new ExecutorClosedError(`${this.closed.message} before the batch finished`))
    await Promise.all(threads.map(async thread => await thread.worker.terminate()))
  }

  private async compile (hash: string, bytes: Uint8Array): Promise<void> {
    const actual = await sha256Hex(bytes)
    if (actual !== hash) throw new ModuleRejectedError(`bytes hash to ${actual}, not to the announced ${hash}`)
    const compiled = await compileModule(bytes)
    const cap = this.limits.maxMemoryPages
    if (compiled.memory.minimumPages > cap) {
      throw new ModuleRejectedError(`asks for ${compiled.memory.minimumPages} memory pages at start, above the cap of ${cap}`)
    }
    if (this.closed != null) throw this.closed
    const message: AddModule = { type: 'module', hash, module: compiled.module, memory: compiled.memory }
    this.modules.set(hash, message)
    for (const thread of this.threads) if (thread.alive) thread.worker.postMessage(message)
  }

  private startThread (): Thread {
    const progress = new SharedArrayBuffer(PROGRESS_SLOTS * Int32Array.BYTES_PER_ELEMENT)
    const init: ThreadInit = { progress, epochMs: this.epochMs, limits: this.limits }
    const worker = new Worker(this.threadUrl, { workerData: init, resourceLimits: this.resourceLimits })
    const thread: Thread = { worker, progress: new Int32Array(progress), alive: true, ready: false, running: undefined }
    // Idle threads do not keep the process alive; a thread with work does (see dispatch).
    worker.unref()
    worker.on('message', (message: FromThread) => { this.onMessage(thread, message) })
    worker.on('error', err => { this.onDeath(thread, err) })
    worker.on('exit', code => { this.onDeath(thread, new Error(`thread exited with code ${code}`)) })
    for (const message of this.modules.values()) worker.postMessage(message)
    this.counters.threadsStarted++
    return thread
  }

  /** Gives queued work to idle threads. */
  private pump (): void {
    for (const thread of this.threads) {
      if (!thread.alive || thread.running != null) continue
      let task: Task | undefined
      do task = this.retries.shift() ?? this.queue.shift()
      while (task != null && task.batch.settled)
      if (task == null) return
      this.dispatch(thread, task)
    }
  }

  private dispatch (thread: Thread, task: Task): void {
    const seq = ++this.seq
    const { fns, jobs } = packJobs(task.positions.map(p => task.batch.jobs[p]))
    const message: RunBatch = { type: 'batch', seq, fns, jobs }
    thread.running = { task, seq }
    thread.worker.ref()
    thread.worker.postMessage(message, [jobs])
    this.startWatch()
  }

  private onMessage (thread: Thread, message: FromThread): void {
    if (!thread.alive) return
    switch (message.type) {
      case 'ready':
        thread.ready = true
        this.startFailures = 0
        break
      case 'done': {
        const running = thread.running
        if (running == null || running.seq !== message.seq) return
        thread.running = undefined
        thread.worker.unref()
        const { batch, positions } = running.task
        try {
          const outcomes = unpackOutcomes(message.outcomes, message.byteLength, positions.length)
          for (let k = 0; k < positions.length; k++) {
            const outcome = outcomes[k]
            if (outcome.ok) this.succeed(batch, positions[k], outcome.outputs)
            else this.fail(batch, positions[k], outcome.error)
          }
        } catch (err) {
          for (const p of positions) this.fail(batch, p, errorToData(err))
        }
        this.pump()
        if (!this.busy()) this.stopWatch()
        break
      }
    }
  }

  private onDeath (thread: Thread, err: Error): void {
    if (!thread.alive) return
    if (!thread.ready) {
      this.startFailures++
      if (this.startFailures >= MAX_START_FAILURES) {
        thread.alive = false
        void this.shutdown(new ExecutorClosedError(`the executor's threads cannot start (${err.message})`))
        return
      }
    }
    this.counters.crashes++
    this.replace(thread, { name: 'SandboxCrashedError', message: `the thread running this job died: ${err.message}` })
  }

  /**
   * Stops `thread` (if it still runs) and starts another. The job it was running, if known, gets `error`; the
   * other jobs of its batch part without an outcome are queued again.
   */
  private replace (thread: Thread, error: ErrorData): void {
    thread.alive = false
    void thread.worker.terminate()
    const index = this.threads.indexOf(thread)
    if (index >= 0 && this.closed == null) this.threads[index] = this.startThread()
    const running = thread.running
    thread.running = undefined
    if (running != null) {
      const blamed = this.runningIndex(thread, running.seq)
      const { batch, positions } = running.task
      const rest: number[] = []
      positions.forEach((p, k) => {
        if (k === blamed) this.fail(batch, p, error)
        else if (batch.outcomes[p] === undefined) rest.push(p)
      })
      const unblamedCrashes = running.task.unblamedCrashes + (blamed === undefined ? 1 : 0)
      if (unblamedCrashes > MAX_UNBLAMED_CRASHES) {
        for (const p of rest) this.fail(batch, p, error)
      } else if (rest.length > 0) {
        this.retries.push({ batch, positions: rest, unblamedCrashes })
      }
    }
    this.pump()
    if (!this.busy()) this.stopWatch()
  }

  /** The index (within its batch part) of the job `thread` runs now, if it is in batch `seq`. */
  private runningIndex (thread: Thread, seq: number): number | undefined {
    const running = Atomics.load(thread.progress, ProgressSlot.running)
    if (running === 0 || Atomics.load(thread.progress, ProgressSlot.batch) !== seq) return undefined
    return running - 1
  }

  private checkTimeouts (): void {
    const now = (performance.timeOrigin + performance.now() - this.epochMs) | 0
    for (const thread of this.threads) {
      const running = thread.running
      if (!thread.alive || running == null) continue
      const index = this.runningIndex(thread, running.seq)
      if (index === undefined) continue
      const started = Atomics.load(thread.progress, ProgressSlot.startedMs)
      const job = running.task.batch.jobs[running.task.positions[index]]
      if (((now - started) | 0) > job.timeoutMs) {
        this.counters.timeouts++
        this.replace(thread, { name: 'JobTimeoutError', message: `exceeded ${job.timeoutMs} ms` })
      }
    }
  }

  private busy (): boolean {
    return this.threads.some(thread => thread.running != null)
  }

  private startWatch (): void {
    if (this.timer != null) return
    this.timer = setInterval(() => { this.checkTimeouts() }, this.checkEveryMs)
    this.timer.unref()
  }

  private stopWatch (): void {
    if (this.timer == null) return
    clearInterval(this.timer)
    this.timer = undefined
  }

  private succeed (batch: BatchState, position: number, outputs: readonly Emitted[]): void {
    this.settle(batch, position, { id: batch.jobs[position].id, ok: true, outputs })
  }

  private fail (batch: BatchState, position: number, error: ErrorData): void {
    this.settle(batch, position, { id: batch.jobs[position].id, ok: false, error })
  }

  private settle (batch: BatchState, position: number, outcome: JobOutcome): void {
    if (batch.settled || batch.outcomes[position] !== undefined) return
    batch.outcomes[position] = outcome
    if (--batch.remaining > 0) return
    batch.settled = true
    this.active.delete(batch)
    batch.resolve(batch.outcomes as JobOutcome[])
  }

  private failEverything (err: Error): void {
    for (const batch of this.active) {
      batch.settled = true
      batch.reject(err)
    }
    this.active.clear()
    this.retries.length = 0
    while (this.queue.shift() != null);
  }
}
