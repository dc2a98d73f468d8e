/**
 * SandboxPool: the JobExecutor logic shared by Node (worker_threads) and the browser (Web Workers). A
 * platform's pool extends it, supplying a SandboxHost (sandbox-host.ts), its default size and its `stats`.
 *
 * - Modules are compiled and checked once (prepare-module.ts); the compiled WebAssembly.Module is posted to
 *   every sandbox (sandboxes started later get all known modules), so sandboxes never recompile.
 * - A batch is queued whole (FIFO); a free sandbox takes it, runs its jobs in order and answers with all
 *   outcomes at once. Both directions travel as one transferred ArrayBuffer (packing.ts).
 * - Timeouts: each sandbox publishes the job it runs and its start time (timeout-watch.ts); while work runs, a
 *   timer compares them with each job's `timeoutMs`. An overdue job fails with JobTimeoutError and its sandbox
 *   is terminated (which stops even a spinning WASM loop) and replaced.
 * - A sandbox that dies or faults loses the outcomes of its current batch: the job it was running fails, every
 *   other job of that batch without an outcome runs again on another sandbox (functions are pure, so running
 *   twice is harmless). Each job gets exactly one outcome.
 * - `recall`: recalled jobs get a JobRecalledError outcome at once; a sandbox running one is replaced.
 * - `resize(n)` (for subclasses) changes the number of sandboxes at runtime: new ones get every module;
 *   surplus idle ones stop at once, surplus busy ones after their batch.
 */
import { DEFAULT_LIMITS } from '../abi/abi.js'
import type { AbiLimits } from '../abi/abi.js'
import { ExecutorClosedError, JobRecalledError, JobTimeoutError, SandboxCrashedError, UnknownModuleError, errorToData } from '../errors.js'
import type { ErrorData, Job, JobExecutor, JobOutcome } from '../jobs.js'
import { fail, newBatch, settleUnpacked, unsettledPart } from './batch-state.js'
import type { BatchState, Task } from './batch-state.js'
import { Fifo } from '../util/fifo.js'
import type { AddModule, BatchDone, FromSandbox, ToSandbox } from './messages.js'
import { packJobs } from './packing.js'
import { unpackOutcomes } from './outcome-buffer.js'
import { prepareModule } from './prepare-module.js'
import type { Sandbox, SandboxHost } from './sandbox-host.js'
import { ProgressView, WatchTimer } from './timeout-watch.js'

export interface SandboxPoolInit {
  readonly host: SandboxHost
  /** Sandboxes to start: a whole number ≥ 1 (the platform adapter picks the default and clamps). */
  readonly sandboxes: number
  /** Memory and output caps applied to every call. */
  readonly limits?: AbiLimits
  /** How often running jobs are checked against their timeout, in ms (default 25). */
  readonly checkEveryMs?: number
}

export interface SandboxPoolStats {
  /** Sandboxes started, replacements included. */
  readonly started: number
  /** Jobs stopped for exceeding their timeout. */
  readonly timeouts: number
  /** Sandboxes that failed on their own (not stopped by the pool). */
  readonly crashes: number
  /** Sandboxes stopped because their batch held a recalled job. */
  readonly recalled: number
  /** Time sandboxes spent on batches (dispatch to answer, summed over sandboxes): the CPU time given. */
  readonly busyMs: number
}

const DEFAULT_CHECK_MS = 25
/** Sandboxes that die before they are ready, in a row, after which the pool gives up (e.g. a missing entry file). */
const MAX_START_FAILURES = 3
/** Crashes of one batch part with no job to blame (the sandbox died between jobs) before its jobs fail. */
const MAX_UNBLAMED_CRASHES = 2

interface Slot {
  readonly sandbox: Sandbox
  readonly progress: ProgressView
  /** False once the pool stopped it or saw it die: its later events are ignored. */
  alive: boolean
  ready: boolean
  /** Set by `resize` shrinking: finish the current batch, then stop. */
  retiring: boolean
  running: { readonly task: Task, readonly seq: number, readonly since: number } | undefined
}

export class SandboxPool implements JobExecutor {
  private readonly host: SandboxHost
  private readonly limits: AbiLimits
  private readonly epochMs = performance.timeOrigin + performance.now()
  private readonly watch: WatchTimer
  private readonly modules = new Map<string, AddModule>()
  private readonly compiling = new Map<string, Promise<void>>()
  private readonly queue = new Fifo<Task>()
  /** Parts of batches whose sandbox died: they go before newer batches. */
  private readonly retries: Task[] = []
  private readonly active = new Set<BatchState>()
  private slotList: Slot[] = []
  private wanted: number
  private seq = 0
  private closed: Error | undefined
  private startFailures = 0
  private counters = { started: 0, timeouts: 0, crashes: 0, recalled: 0, busyMs: 0 }

  constructor (init: SandboxPoolInit) {
    this.host = init.host
    this.wanted = init.sandboxes
    this.limits = init.limits ?? DEFAULT_LIMITS
    this.watch = new WatchTimer(init.checkEveryMs ?? DEFAULT_CHECK_MS, () => { this.checkTimeouts() })
    for (let i = 0; i < this.wanted; i++) this.slotList.push(this.start())
  }

  /** How many jobs run at the same time: the sandbox count asked for (retiring sandboxes do not count). */
  get slots (): number {
    return this.wanted
  }

  /** Sandboxes alive now (retiring ones included). */
  protected get sandboxes (): number {
    return this.slotList.length
  }

  /** Counters for the platform's own `stats` (named its way: threads, workers). */
  protected get counts (): SandboxPoolStats {
    return { ...this.counters }
  }

  /** Changes the number of sandboxes to `wanted` (a whole number ≥ 1); platforms that resize expose it. */
  protected resize (wanted: number): void {
    if (this.closed != null) throw this.closed
    this.wanted = wanted
    const serving = this.slotList.filter(s => !s.retiring)
    if (serving.length < wanted) {
      // bring back retiring sandboxes first: they are warm
      for (const slot of this.slotList) {
        if (serving.length >= wanted) break
        if (slot.retiring) { slot.retiring = false; serving.push(slot) }
      }
      while (serving.length < wanted) {
        const slot = this.start()
        this.slotList.push(slot)
        serving.push(slot)
      }
    } else {
      // stop idle sandboxes first, then ask busy ones to stop after their batch
      const surplus = serving.length - wanted
      const idle = serving.filter(s => s.running == null).slice(0, surplus)
      const busy = serving.filter(s => s.running != null).slice(0, surplus - idle.length)
      for (const slot of idle) this.retire(slot)
      for (const slot of busy) slot.retiring = true
    }
    this.pump()
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
      const state = newBatch(batch, resolve, reject)
      this.active.add(state)
      const positions: number[] = []
      for (let i = 0; i < batch.length; i++) {
        const hash = batch[i].fn.module
        if (this.modules.has(hash)) positions.push(i)
        else this.fail(state, i, errorToData(new UnknownModuleError(`module ${hash} is unknown to this executor (addModule first)`)))
      }
      if (positions.length > 0) {
        this.queue.push({ batch: state, positions, unblamedCrashes: 0 })
        this.pump()
      }
    })
  }

  /**
   * Recalled jobs (their run ended) get a JobRecalledError outcome now; queued ones never run. A sandbox whose
   * batch holds one is replaced (the timeout path; which job it runs now is not always known): its batch-mates
   * not recalled and not finished run again on another sandbox.
   */
  recall (recalled: (id: number) => boolean): void {
    const error = errorToData(new JobRecalledError('its run ended: the coordinator recalled it'))
    for (const batch of [...this.active]) {
      for (let p = 0; p < batch.jobs.length; p++) if (recalled(batch.jobs[p].id)) this.fail(batch, p, error)
    }
    for (const slot of [...this.slotList]) {
      const running = slot.running
      if (!slot.alive || running == null) continue
      const { batch, positions } = running.task
      if (!positions.some(p => recalled(batch.jobs[p].id))) continue
      this.counters.recalled++
      this.replace(slot, error)
    }
  }

  /** Stops every sandbox; batches not finished yet reject with ExecutorClosedError, later calls too. */
  async close (): Promise<void> {
    await this.shutdown(new ExecutorClosedError('the executor was closed'))
  }

  private async shutdown (reason: ExecutorClosedError): Promise<void> {
    if (this.closed == null) this.closed = reason
    this.watch.stop()
    const slots = this.slotList
    this.slotList = []
    for (const slot of slots) slot.alive = false
    this.failEverything(new ExecutorClosedError(`${this.closed.message} before the batch finished`))
    await Promise.all(slots.map(async slot => { await slot.sandbox.terminate() }))
  }

  private async compile (hash: string, bytes: Uint8Array): Promise<void> {
    const message = await prepareModule(hash, bytes, this.limits)
    if (this.closed != null) throw this.closed
    this.modules.set(hash, message)
    for (const slot of this.slotList) if (slot.alive) this.post(slot, message)
  }

  private start (): Slot {
    const progress = new ProgressView(this.host.sharedMemory)
    // Hosts report events asynchronously (message ports), so `slot` is set by the time they arrive.
    const events = {
      onMessage: (message: FromSandbox) => { this.onMessage(slot, message) },
      onError: (err: Error) => { this.onDeath(slot, err) }
    }
    const slot: Slot = { sandbox: this.host.spawn(events), progress, alive: true, ready: false, retiring: false, running: undefined }
    this.post(slot, { type: 'init', progress: progress.shared, epochMs: this.epochMs, limits: this.limits })
    for (const message of this.modules.values()) this.post(slot, message)
    this.counters.started++
    return slot
  }

  private post (slot: Slot, message: ToSandbox, transfer: ArrayBuffer[] = []): void {
    slot.sandbox.post(message, transfer)
  }

  /** Gives queued work to idle sandboxes. */
  private pump (): void {
    for (const slot of this.slotList) {
      if (!slot.alive || slot.retiring || slot.running != null) continue
      let task: Task | undefined
      while (task == null) {
        const next = this.retries.shift() ?? this.queue.shift()
        if (next == null) return
        task = unsettledPart(next)
      }
      this.dispatch(slot, task)
    }
  }

  private dispatch (slot: Slot, task: Task): void {
    const seq = ++this.seq
    const { fns, jobs, chains } = packJobs(task.positions.map(p => task.batch.jobs[p]))
    slot.running = { task, seq, since: performance.now() }
    slot.progress.dispatched()
    slot.sandbox.hold?.(true)
    this.post(slot, chains === undefined ? { type: 'batch', seq, fns, jobs } : { type: 'batch', seq, fns, jobs, chains }, [jobs])
    this.watch.start()
  }

  private onMessage (slot: Slot, message: FromSandbox): void {
    if (!slot.alive) return
    switch (message.type) {
      case 'ready':
        slot.ready = true
        this.startFailures = 0
        break
      case 'progress':
        slot.progress.record(message)
        break
      case 'fault':
        this.counters.crashes++
        this.replace(slot, errorToData(new SandboxCrashedError(`the ${this.host.noun} running this job failed: ${message.message}`)))
        break
      case 'done':
        this.onDone(slot, message)
        break
    }
  }

  private onDone (slot: Slot, message: BatchDone): void {
    const running = slot.running
    if (running == null || running.seq !== message.seq) return
    slot.running = undefined
    slot.sandbox.hold?.(false)
    this.counters.busyMs += performance.now() - running.since
    const { batch, positions } = running.task
    try {
      const outcomes = unpackOutcomes(message.outcomes, message.byteLength, positions.length)
      for (let k = 0; k < positions.length; k++) {
        const outcome = outcomes[k]
        // the record's fields as they came (ms, emitted, item, stage): only chunks carry them
        if (settleUnpacked(batch, positions[k], outcome)) this.active.delete(batch)
      }
    } catch (err) {
      for (const p of positions) this.fail(batch, p, errorToData(err))
    }
    if (slot.retiring) this.retire(slot)
    this.pump()
    if (!this.busy()) this.watch.stop()
  }

  private onDeath (slot: Slot, err: Error): void {
    if (!slot.alive) return
    if (!slot.ready) {
      this.startFailures++
      if (this.startFailures >= MAX_START_FAILURES) {
        slot.alive = false
        void this.shutdown(new ExecutorClosedError(`the executor's ${this.host.noun}s cannot start (${err.message})`))
        return
      }
    }
    this.counters.crashes++
    this.replace(slot, errorToData(new SandboxCrashedError(`the ${this.host.noun} running this job died: ${err.message}`)))
  }

  /** Stops a sandbox for good (no replacement). */
  private retire (slot: Slot): void {
    slot.alive = false
    void slot.sandbox.terminate()
    const index = this.slotList.indexOf(slot)
    if (index >= 0) this.slotList.splice(index, 1)
  }

  /**
   * Stops `slot`'s sandbox and starts another (unless it was retiring). The job it was running, if known, gets
   * `error`; the other jobs of its batch part without an outcome are queued again.
   */
  private replace (slot: Slot, error: ErrorData): void {
    slot.alive = false
    void slot.sandbox.terminate()
    const index = this.slotList.indexOf(slot)
    if (index >= 0) {
      if (this.closed == null && !slot.retiring) this.slotList[index] = this.start()
      else this.slotList.splice(index, 1)
    }
    const running = slot.running
    slot.running = undefined
    if (running != null) {
      this.counters.busyMs += performance.now() - running.since
      const blamed = slot.progress.runningIndex(running.seq)
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
    if (!this.busy()) this.watch.stop()
  }

  private checkTimeouts (): void {
    for (const slot of [...this.slotList]) {
      const running = slot.running
      if (!slot.alive || running == null) continue
      const index = slot.progress.runningIndex(running.seq)
      if (index === undefined) continue
      const job = running.task.batch.jobs[running.task.positions[index]]
      if (slot.progress.elapsedMs(this.epochMs) > job.timeoutMs) {
        this.counters.timeouts++
        this.replace(slot, errorToData(new JobTimeoutError(`exceeded ${job.timeoutMs} ms`)))
      }
    }
  }

  private busy (): boolean {
    return this.slotList.some(slot => slot.running != null)
  }

  private fail (batch: BatchState, position: number, error: ErrorData, item?: number): void {
    if (fail(batch, position, error, item)) this.active.delete(batch)
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
