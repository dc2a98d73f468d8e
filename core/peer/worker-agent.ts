/**
 * The worker side of the job protocol, shared by `grid-worker` (Node) and the browser page: says hello,
 * grants credits, fetches missing modules by hash, runs jobs on the local executor in right-sized batches,
 * and returns results in batches. A graceful leave finishes what it holds before saying bye.
 */
import type { JobExecutor, Job, JobOutcome } from '../jobs.js'
import { BatchSizer } from '../run/batch-sizer.js'
import { errorToData } from '../errors.js'
import type { Channel } from './channel.js'
import { CreditWindow } from './credit-window.js'
import { JOB_PROTOCOL_VERSION, jobFromWire, outcomeToWire } from '../protocol/job-messages.js'
import type { CoordinatorMessage, WorkerInfo, WorkerMessage } from '../protocol/job-messages.js'

export interface WorkerAgentInit {
  readonly executor: JobExecutor
  readonly info: WorkerInfo
  /** Fetches a module's bytes by content hash (verified by the fetcher). */
  readonly fetchModule: (hash: string) => Promise<Uint8Array>
  readonly events?: WorkerEvents
}

export interface WorkerEvents {
  welcome?: (flow: string, run: string) => void
  batchDone?: (jobs: number, failed: number, busyMs: number) => void
  flowDone?: (ok: boolean) => void
  refused?: (reason: string) => void
  log?: (line: string) => void
}

export interface WorkerStats {
  jobsDone: number
  jobsFailed: number
  busyMs: number
}

type WorkerChannel = Channel<CoordinatorMessage, WorkerMessage>

export class WorkerAgent {
  readonly stats: WorkerStats = { jobsDone: 0, jobsFailed: 0, busyMs: 0 }
  private readonly modules = new Map<string, Promise<void>>()
  private window: CreditWindow
  private readonly sizer = new BatchSizer()
  private channel: WorkerChannel | undefined
  private granted = 0
  private held = 0
  private leaving = false
  private idle: (() => void) | undefined

  constructor (private readonly init: WorkerAgentInit) {
    this.window = new CreditWindow(init.executor.slots)
  }

  /** Runs one session on `channel`; resolves when the channel closes. */
  async attach (channel: WorkerChannel): Promise<Error | undefined> {
    this.channel = channel
    this.granted = 0
    this.held = 0
    // a new session may be a new flow with jobs of another cost: learn again from a small window,
    // or a worker that learned "tiny jobs" would grab every heavy job at once
    this.window = new CreditWindow(this.init.executor.slots)
    const closed = new Promise<Error | undefined>(resolve => channel.onClose(resolve))
    channel.onMessage(message => { this.onMessage(message) })
    this.send({ t: 'hello', v: JOB_PROTOCOL_VERSION, worker: this.init.info })
    this.grant()
    const reason = await closed
    if (this.channel === channel) this.channel = undefined
    return reason
  }

  get jobsHeld (): number {
    return this.held
  }

  /** Stops asking for work, finishes the jobs held (up to `timeoutMs`), says bye and closes. */
  async leave (timeoutMs = 10_000): Promise<void> {
    this.leaving = true
    if (this.held > 0) {
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, timeoutMs)
        this.idle = () => { clearTimeout(timer); resolve() }
      })
    }
    const channel = this.channel
    if (channel == null) return
    this.send({ t: 'bye' })
    await channel.close()
  }

  private onMessage (message: CoordinatorMessage): void {
    switch (message.t) {
      case 'welcome':
        this.init.events?.welcome?.(message.flow, message.run)
        break
      case 'jobs':
        this.granted = Math.max(0, this.granted - message.jobs.length)
        this.held += message.jobs.length
        void this.runJobs(message.jobs.map(jobFromWire))
        break
      case 'done':
        this.init.events?.flowDone?.(message.ok)
        break
      case 'refused':
        this.init.events?.refused?.(message.reason)
        break
    }
  }

  private async runJobs (jobs: Job[]): Promise<void> {
    const outcomes: JobOutcome[] = []
    const runnable: Job[] = []
    for (const job of jobs) {
      try {
        await this.ensureModule(job.fn.module)
        runnable.push(job)
      } catch (err) {
        outcomes.push({ id: job.id, ok: false, error: errorToData(err) })
      }
    }
    if (outcomes.length > 0) this.report(outcomes, 0)
    // split into batches so every thread gets a share
    const slots = this.init.executor.slots
    let start = 0
    while (start < runnable.length) {
      const size = this.sizer.next(runnable.length - start, slots)
      const batch = runnable.slice(start, start + size)
      start += size
      const began = performance.now()
      this.init.executor.run(batch).then(results => {
        const busy = performance.now() - began
        this.sizer.observe(batch.length, busy)
        this.window.observe(batch.length, busy)
        this.report(results, busy)
      }, err => {
        this.report(batch.map(job => ({ id: job.id, ok: false as const, error: errorToData(err) })), 0)
      })
    }
  }

  private report (outcomes: JobOutcome[], busyMs: number): void {
    this.held -= outcomes.length
    let failed = 0
    for (const o of outcomes) if (!o.ok) failed++
    this.stats.jobsDone += outcomes.length - failed
    this.stats.jobsFailed += failed
    this.stats.busyMs += busyMs
    this.init.events?.batchDone?.(outcomes.length, failed, busyMs)
    this.send({ t: 'results', results: outcomes.map(outcomeToWire) })
    this.grant()
    if (this.held === 0 && this.idle != null) {
      const idle = this.idle
      this.idle = undefined
      idle()
    }
  }

  /** Tops the credits up to the window's target. */
  private grant (): void {
    if (this.leaving || this.channel == null) return
    const want = this.window.target() - this.granted - this.held
    if (want <= 0) return
    this.granted += want
    this.send({ t: 'pull', credits: want })
  }

  /** Sends if a session is open; results for a closed session are dropped (the coordinator re-queued them). */
  private send (message: WorkerMessage): void {
    try {
      this.channel?.send(message)
    } catch {
      // closed meanwhile: attach() resolves through onClose
    }
  }

  private async ensureModule (hash: string): Promise<void> {
    if (this.init.executor.hasModule(hash)) return
    let loading = this.modules.get(hash)
    if (loading == null) {
      loading = this.init.fetchModule(hash).then(async bytes => await this.init.executor.addModule(hash, bytes))
      loading.catch(() => this.modules.delete(hash)) // a failed fetch may be retried by a later job
      this.modules.set(hash, loading)
    }
    await loading
  }
}
