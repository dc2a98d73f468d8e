/**
 * WebWorkerPool: the browser JobExecutor, running jobs on Web Workers. Same behaviour as the Node ThreadPool
 * (node-peer/executor/pool.ts), checked by the same compliance suite (core/run/executor-suite.ts):
 *
 * - Modules are compiled and checked once, on the page; the compiled WebAssembly.Module is posted to every
 *   worker (workers started later get all known modules), so workers never recompile.
 * - A batch is queued whole (FIFO); a free worker takes it, runs its jobs in order and answers with all
 *   outcomes at once. Both directions travel as one transferred ArrayBuffer.
 * - Timeouts: WASM cannot be interrupted, so each worker publishes the job it runs and its start time
 *   (shared memory on cross-origin-isolated pages, else a message); while work runs, a timer compares them
 *   with each job's `timeoutMs`. An overdue job fails with JobTimeoutError and its worker is terminated
 *   (`Worker.terminate()` stops even a spinning WASM loop) and replaced.
 * - A worker that dies or faults loses the outcomes of its current batch: the job it was running fails, every
 *   other job of that batch without an outcome runs again on another worker (functions are pure). Each job
 *   gets exactly one outcome.
 * - `setThreads(n)` resizes at runtime: new workers get every module; surplus idle workers stop at once,
 *   surplus busy ones after their batch.
 */
import { DEFAULT_LIMITS } from '../../../core/abi/abi.js'
import type { AbiLimits, Emitted } from '../../../core/abi/abi.js'
import { compileModule, sha256Hex } from '../../../core/abi/host.js'
import { ExecutorClosedError, ModuleRejectedError, errorToData } from '../../../core/errors.js'
import type { ErrorData, Job, JobExecutor, JobOutcome } from '../../../core/jobs.js'
import { Fifo } from '../../../core/run/fifo.js'
import { packJobs, PROGRESS_SLOTS, ProgressSlot, unpackOutcomes } from './messages.js'
import type { AddModule, FromWorker, RunBatch, ToWorker, WorkerInit } from './messages.js'

export interface WebWorkerPoolInit {
  /** Number of workers (default: `navigator.hardwareConcurrency`). */
  readonly threads?: number
  /** Memory and output caps applied to every call. */
  readonly limits?: AbiLimits
  /** How often running jobs are checked against their timeout, in ms (default 25). */
  readonly checkEveryMs?: number
  /** Makes one worker (default: the bundled executor worker). */
  readonly createWorker?: () => Worker
}

export interface WebWorkerPoolStats {
  /** Workers started, replacements included. */
  readonly workersStarted: number
  /** Jobs stopped for exceeding their timeout. */
  readonly timeouts: number
  /** Workers that failed on their own (script error, fault). */
  readonly crashes: number
  /** True when timeouts are watched through shared memory (cross-origin-isolated page). */
  readonly sharedMemory: boolean
  /** Time workers spent on batches (dispatch to answer, summed over workers): the CPU time given. */
  readonly busyMs: number
}

/** Most workers one page may ask for: far above any real core count, low enough to stop a typo. */
export const MAX_THREADS = 256
const DEFAULT_CHECK_MS = 25
/** Workers that die before they answer `init`, in a row, after which the pool gives up. */
const MAX_START_FAILURES = 3
/** Crashes of one batch part with no job to blame (the worker died between jobs) before its jobs fail. */
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

/** Jobs of one batch on their way to a worker: positions in `batch.jobs`. */
interface Task {
  readonly batch: BatchState
  readonly positions: readonly number[]
  readonly unblamedCrashes: number
}

interface Slot {
  readonly worker: Worker
  readonly progress: Int32Array
  /** False once the pool stopped it or saw it die: its later events are ignored. */
  alive: boolean
  ready: boolean
  /** Set by `setThreads` shrinking: finish the current batch, then stop. */
  retiring: boolean
  running: { readonly task: Task, readonly seq: number, readonly since: number } | undefined
}

function defaultWorker (): Worker {
  // this exact `new Worker(new URL(…, import.meta.url))` shape is what vite recognises and bundles
  return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'edge-grid-executor' })
}

export function defaultThreads (): number {
  const n = globalThis.navigator?.hardwareConcurrency
  return typeof n === 'number' && n >= 1 ? Math.min(n, MAX_THREADS) : 2
}

export class WebWorkerPool implements JobExecutor {
  private readonly limits: AbiLimits
  private readonly checkEveryMs: number
  private readonly createWorker: () => Worker
  private readonly shared = typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true
  private readonly epochMs = performance.timeOrigin + performance.now()
  private readonly modules = new Map<string, AddModule>()
  private readonly compiling = new Map<string, Promise<void>>()
  private readonly queue = new Fifo<Task>()
  /** Parts of batches whose worker died: they go before newer batches. */
  private readonly retries: Task[] = []
  private readonly active = new Set<BatchState>()
  private slotList: Slot[] = []
  private wanted: number
  private seq = 0
  private timer: ReturnType<typeof setInterval> | undefined
  private closed: Error | undefined
  private startFailures = 0
  private counters = { workersStarted: 0, timeouts: 0, crashes: 0, busyMs: 0 }

  constructor (init: WebWorkerPoolInit = {}) {
    this.wanted = clampThreads(init.threads ?? defaultThreads())
    this.limits = init.limits ?? DEFAULT_LIMITS
    this.checkEveryMs = init.checkEveryMs ?? DEFAULT_CHECK_MS
    this.createWorker = init.createWorker ?? defaultWorker
    for (let i = 0; i < this.wanted; i++) this.slotList.push(this.startWorker())
  }

  /** How many jobs run at the same time: the thread count asked for (retiring workers do not count). */
  get slots (): number {
    return this.wanted
  }

  get stats (): WebWorkerPoolStats {
    return { ...this.counters, sharedMemory: this.shared }
  }

  /** Workers alive now (retiring ones included). */
  get workers (): number {
    return this.slotList.length
  }

  /** Changes the number of workers; returns the number in effect (clamped to 1..MAX_THREADS). */
  setThreads (threads: number): number {
    if (this.closed != null) throw this.closed
    const wanted = clampThreads(threads)
    this.wanted = wanted
    const serving = this.slotList.filter(s => !s.retiring)
    if (serving.length < wanted) {
      // bring back retiring workers first: they are warm
      for (const slot of this.slotList) {
        if (serving.length >= wanted) break
        if (slot.retiring) { slot.retiring = false; serving.push(slot) }
      }
      while (serving.length < wanted) {
        const slot = this.startWorker()
        this.slotList.push(slot)
        serving.push(slot)
      }
    } else {
      // stop idle workers first, then ask busy ones to stop after their batch
      const surplus = serving.length - wanted
      const idle = serving.filter(s => s.running == null).slice(0, surplus)
      const busy = serving.filter(s => s.running != null).slice(0, surplus - idle.length)
      for (const slot of idle) this.retire(slot)
      for (const slot of busy) slot.retiring = true
    }
    this.pump()
    return wanted
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

  /** Stops every worker; batches not finished yet reject with ExecutorClosedError, later calls too. */
  async close (): Promise<void> {
    this.shutdown(new ExecutorClosedError('the executor was closed'))
  }

  private shutdown (reason: ExecutorClosedError): void {
    if (this.closed == null) this.closed = reason
    this.stopWatch()
    const slots = this.slotList
    this.slotList = []
    for (const slot of slots) {
      slot.alive = false
      slot.worker.terminate()
    }
    this.failEverything(new ExecutorClosedError(`${this.closed.message} before the batch finished`))
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
    for (const slot of this.slotList) if (slot.alive) this.post(slot, message)
  }

  private startWorker (): Slot {
    const buffer = this.shared
      ? new SharedArrayBuffer(PROGRESS_SLOTS * Int32Array.BYTES_PER_ELEMENT)
      : new ArrayBuffer(PROGRESS_SLOTS * Int32Array.BYTES_PER_ELEMENT)
    const worker = this.createWorker()
    const slot: Slot = { worker, progress: new Int32Array(buffer), alive: true, ready: false, retiring: false, running: undefined }
    worker.addEventListener('message', (evt: MessageEvent<FromWorker>) => { this.onMessage(slot, evt.data) })
    worker.addEventListener('error', evt => {
      evt.preventDefault()
      this.onDeath(slot, new Error(evt.message !== '' ? evt.message : 'the worker script failed'))
    })
    worker.addEventListener('messageerror', () => { this.onDeath(slot, new Error('a message to the worker could not be read')) })
    const init: WorkerInit = { type: 'init', progress: this.shared ? buffer as SharedArrayBuffer : undefined, epochMs: this.epochMs, limits: this.limits }
    this.post(slot, init)
    for (const message of this.modules.values()) this.post(slot, message)
    this.counters.workersStarted++
    return slot
  }

  private post (slot: Slot, message: ToWorker, transfer: Transferable[] = []): void {
    slot.worker.postMessage(message, transfer)
  }

  /** Gives queued work to idle workers. */
  private pump (): void {
    for (const slot of this.slotList) {
      if (!slot.alive || slot.retiring || slot.running != null) continue
      let task: Task | undefined
      do task = this.retries.shift() ?? this.queue.shift()
      while (task != null && task.batch.settled)
      if (task == null) return
      this.dispatch(slot, task)
    }
  }

  private dispatch (slot: Slot, task: Task): void {
    const seq = ++this.seq
    const { fns, jobs } = packJobs(task.positions.map(p => task.batch.jobs[p]))
    const message: RunBatch = { type: 'batch', seq, fns, jobs }
    slot.running = { task, seq, since: performance.now() }
    if (!this.shared) Atomics.store(slot.progress, ProgressSlot.running, 0)
    this.post(slot, message, [jobs])
    this.startWatch()
  }

  private onMessage (slot: Slot, message: FromWorker): void {
    if (!slot.alive) return
    switch (message.type) {
      case 'ready':
        slot.ready = true
        this.startFailures = 0
        break
      case 'progress':
        slot.progress[ProgressSlot.startedMs] = message.startedMs
        slot.progress[ProgressSlot.batch] = message.batch
        slot.progress[ProgressSlot.running] = message.running
        break
      case 'fault':
        this.counters.crashes++
        this.replace(slot, { name: 'SandboxCrashedError', message: `the worker running this job failed: ${message.message}` })
        break
      case 'done': {
        const running = slot.running
        if (running == null || running.seq !== message.seq) return
        slot.running = undefined
        this.counters.busyMs += performance.now() - running.since
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
        if (slot.retiring) this.retire(slot)
        this.pump()
        if (!this.busy()) this.stopWatch()
        break
      }
    }
  }

  private onDeath (slot: Slot, err: Error): void {
    if (!slot.alive) return
    if (!slot.ready) {
      this.startFailures++
      if (this.startFailures >= MAX_START_FAILURES) {
        slot.alive = false
        this.shutdown(new ExecutorClosedError(`the executor's workers cannot start (${err.message})`))
        return
      }
    }
    this.counters.crashes++
    this.replace(slot, { name: 'SandboxCrashedError', message: `the worker running this job died: ${err.message}` })
  }

  /** Stops a worker for good (no replacement). */
  private retire (slot: Slot): void {
    slot.alive = false
    slot.worker.terminate()
    const index = this.slotList.indexOf(slot)
    if (index >= 0) this.slotList.splice(index, 1)
  }

  /**
   * Stops `slot`'s worker and starts another (unless it was retiring). The job it was running, if known, gets
   * `error`; the other jobs of its batch part without an outcome are queued again.
   */
  private replace (slot: Slot, error: ErrorData): void {
    slot.alive = false
    slot.worker.terminate()
    const index = this.slotList.indexOf(slot)
    if (index >= 0) {
      if (this.closed == null && !slot.retiring) this.slotList[index] = this.startWorker()
      else this.slotList.splice(index, 1)
    }
    const running = slot.running
    slot.running = undefined
    if (running != null) {
      this.counters.busyMs += performance.now() - running.since
      const blamed = this.runningIndex(slot, running.seq)
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

  /** The index (within its batch part) of the job `slot` runs now, if it is in batch `seq`. */
  private runningIndex (slot: Slot, seq: number): number | undefined {
    const running = Atomics.load(slot.progress, ProgressSlot.running)
    if (running === 0 || Atomics.load(slot.progress, ProgressSlot.batch) !== seq) return undefined
    return running - 1
  }

  private checkTimeouts (): void {
    const now = (performance.timeOrigin + performance.now() - this.epochMs) | 0
    for (const slot of [...this.slotList]) {
      const running = slot.running
      if (!slot.alive || running == null) continue
      const index = this.runningIndex(slot, running.seq)
      if (index === undefined) continue
      const started = Atomics.load(slot.progress, ProgressSlot.startedMs)
      const job = running.task.batch.jobs[running.task.positions[index]]
      if (((now - started) | 0) > job.timeoutMs) {
        this.counters.timeouts++
        this.replace(slot, { name: 'JobTimeoutError', message: `exceeded ${job.timeoutMs} ms` })
      }
    }
  }

  private busy (): boolean {
    return this.slotList.some(slot => slot.running != null)
  }

  private startWatch (): void {
    if (this.timer != null) return
    this.timer = setInterval(() => { this.checkTimeouts() }, this.checkEveryMs)
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

function clampThreads (n: number): number {
  if (!Number.isFinite(n)) return 1
  return Math.max(1, Math.min(MAX_THREADS, Math.floor(n)))
}
