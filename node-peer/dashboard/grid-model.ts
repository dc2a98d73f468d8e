/**
 * What the dashboard and /metrics know about a coordinator: built only from its typed events (a run appears
 * on `run:started` and ends on `run:done`, `run:failed` or `run:interrupted`, keyed by `runId`: several may
 * be hosted at once) and from progress sampled through its public `progress(runId)`. `tick()` samples every
 * live run once (the feed calls it a couple of times a second) and turns totals into rates and the per-second
 * throughput history; nothing here is counted per job.
 */
import type { RunProgress } from '../../core/run/flow-run.js'
import type { StageCounts } from '../../core/run/run-state.js'
import type { CoordinatorEventTarget, CoordinatorEvents } from '../coordinator/events.js'
import { MAX_CHUNKLESS_ROWS, THROUGHPUT_SECONDS } from '../../core/dashboard/snapshot.js'
import type { ChunklessWorkerView, GridEvent, GridEventKind, RunPhase, WorkerKind, WorkerState } from '../../core/dashboard/snapshot.js'
import { RateWindow } from './rate-window.js'

export interface GridModelComponents {
  readonly events: CoordinatorEventTarget
  /** The coordinator's progress of one run (undefined once it is not going on). */
  readonly progress: (runId: string) => RunProgress | undefined
  readonly now?: () => number
}

export interface GridModelInit {
  /** The coordinator's embedded threads (shown as the worker `local`). */
  readonly embeddedThreads?: number
}

export interface WorkerRecord {
  readonly id: string
  readonly kind: WorkerKind
  readonly peer?: string
  readonly platform: string
  readonly labels: readonly string[]
  readonly threads: number
  clusters: readonly string[]
  readonly joinedAt: number
  connected: boolean
  leftAt?: number
  refused?: string
  reason?: string
  /** From its heartbeat. */
  cpuMs?: number
  activity?: { readonly state: WorkerState, readonly at: number }
  jobsDone: number
  readonly rate: RateWindow
}

export interface RunRecord {
  readonly runId: string
  readonly flow: string
  phase: RunPhase
  readonly startedAt: number
  /** When jobs started to be handed out (after waiting for workers). */
  runningAt?: number
  endedAt?: number
  /** The run's own wall time, from its summary. */
  wallMs?: number
  /** The last sample, or the counts of the summary once ended. */
  progress?: RunProgress
  readonly replicas: ReadonlyMap<string, number>
  /** Stages that run chained, each chain head first (known from its start). */
  readonly chains?: ReadonlyArray<readonly string[]>
  /** Workers that joined it unable to run some chunked stage: all counted, the first MAX_CHUNKLESS_ROWS named. */
  readonly withoutChunks: { count: number, readonly workers: ChunklessWorkerView[] }
  failure?: string
  readonly rate: RateWindow
  /** Jobs per second, one per second. */
  readonly throughput: number[]
  lastPoint?: { readonly at: number, readonly jobs: number }
}

/** Recent events kept (newest last). */
export const MAX_EVENTS = 200
/** Ended runs kept for display (their counts stay in the metrics' totals). */
export const MAX_ENDED_RUNS = 20
/** A worker that left stays listed this long. */
export const LEFT_WORKER_MS = 120_000
/** A heartbeat's `paused`/`leaving` holds this long (two missed heartbeats). */
const ACTIVITY_MS = 12_000
/** A worker that finished jobs within this window is busy. */
const BUSY_WINDOW_MS = 2_000

const ENDED: readonly RunPhase[] = ['done', 'failed', 'cancelled', 'interrupted']

export class GridModel {
  readonly startedAt: number
  grid: { peerId?: string, addresses: readonly string[], joinCommand?: string, secret: boolean } = { addresses: [], secret: false }
  readonly workers = new Map<string, WorkerRecord>()
  readonly runs = new Map<string, RunRecord>()
  readonly events: GridEvent[] = []
  /** `flow\0stage\0outcome` → jobs, summed over ended runs (metrics counters never go back). */
  readonly endedTotals = new Map<string, number>()
  private readonly byPeer = new Map<string, string>()
  /** Worker → jobs of runs dropped from the list. */
  private readonly retired = new Map<string, number>()
  private readonly now: () => number
  private readonly off: Array<() => void> = []

  constructor (private readonly components: GridModelComponents, private readonly init: GridModelInit = {}) {
    this.now = components.now ?? (() => Date.now())
    this.startedAt = this.now()
    this.listen()
  }

  close (): void {
    for (const off of this.off.splice(0)) off()
  }

  /** Runs going on. */
  live (): RunRecord[] {
    return [...this.runs.values()].filter(r => !ENDED.includes(r.phase))
  }

  /** Reads the progress of every live run now (metrics scrapes call this; tick() does too). */
  refresh (): void {
    for (const run of this.live()) {
      const p = this.components.progress(run.runId)
      if (p != null) run.progress = p
    }
  }

  /** Samples progress and updates rates, worker totals and the per-second throughput. */
  tick (): void {
    const now = this.now()
    this.refresh()
    for (const run of this.live()) {
      // throughput from when jobs are handed out (not while the run waits for workers)
      if (run.phase !== 'running') continue
      const jobs = run.progress?.jobsDone ?? 0
      run.rate.add(now, jobs)
      const last = run.lastPoint
      if (last == null) run.lastPoint = { at: now, jobs }
      else if (now - last.at >= 1000) {
        const seconds = Math.floor((now - last.at) / 1000)
        const perSecond = (jobs - last.jobs) / ((now - last.at) / 1000)
        for (let i = 0; i < Math.min(seconds, THROUGHPUT_SECONDS); i++) run.throughput.push(perSecond)
        if (run.throughput.length > THROUGHPUT_SECONDS) run.throughput.splice(0, run.throughput.length - THROUGHPUT_SECONDS)
        run.lastPoint = { at: now, jobs }
      }
    }
    const totals = new Map<string, number>()
    for (const run of this.runs.values()) {
      for (const [worker, n] of Object.entries(run.progress?.perWorker ?? {})) totals.set(worker, (totals.get(worker) ?? 0) + n)
    }
    for (const worker of this.workers.values()) {
      worker.jobsDone = (totals.get(worker.id) ?? 0) + this.retiredJobs(worker.id)
      worker.rate.add(now, worker.jobsDone)
    }
    this.prune(now)
  }

  /** A worker's state at `now`; `anyLive`: whether some run is going on (else no worker is busy). */
  stateOf (worker: WorkerRecord, now = this.now(), anyLive = this.live().length > 0): WorkerState {
    if (worker.refused != null) return 'refused'
    const activity = worker.activity
    if (activity != null && now - activity.at < ACTIVITY_MS && (activity.state === 'paused' || activity.state === 'leaving')) return activity.state
    if (!worker.connected) return 'left'
    return anyLive && worker.rate.changedWithin(now, BUSY_WINDOW_MS) ? 'busy' : 'idle'
  }

  /** Jobs of runs dropped from the list, per worker (so a worker's total never goes back). */
  private retiredJobs (worker: string): number {
    return this.retired.get(worker) ?? 0
  }

  private prune (now: number): void {
    for (const [id, worker] of this.workers) {
      if (!worker.connected && worker.leftAt != null && now - worker.leftAt > LEFT_WORKER_MS) {
        this.workers.delete(id)
        if (worker.peer != null && this.byPeer.get(worker.peer) === id) this.byPeer.delete(worker.peer)
      }
    }
    const ended = [...this.runs.values()].filter(r => ENDED.includes(r.phase))
    for (const run of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_RUNS))) {
      for (const [worker, n] of Object.entries(run.progress?.perWorker ?? {})) this.retired.set(worker, (this.retired.get(worker) ?? 0) + n)
      this.runs.delete(run.runId)
    }
  }

  /** Adds an event to the list (the newest MAX_EVENTS are kept). */
  note (kind: GridEventKind, text: string): void {
    this.events.push({ at: this.now(), kind, text })
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS)
  }

  private on<K extends keyof CoordinatorEvents>(type: K, handler: (detail: CoordinatorEvents[K]['detail']) => void): void {
    const listener = (evt: CoordinatorEvents[K]): void => { handler(evt.detail) }
    this.components.events.addEventListener(type, listener)
    this.off.push(() => { this.components.events.removeEventListener(type, listener) })
  }

  private listen (): void {
    this.on('network:listening', d => {
      this.grid = { peerId: d.peerId, addresses: d.addresses, joinCommand: d.joinCommand, secret: d.secret }
      this.note('note', `listening as …${d.peerId.slice(-10)} on ${d.addresses.length} address${d.addresses.length === 1 ? '' : 'es'}`)
    })
    this.on('run:started', d => {
      const threads = this.init.embeddedThreads ?? d.embeddedWorkers
      if (threads > 0 && !this.workers.has('local')) {
        this.workers.set('local', newWorker({ id: 'local', kind: 'embedded', platform: 'coordinator threads', labels: [], threads, clusters: [], joinedAt: this.now() }))
      }
      this.runs.set(d.runId, {
        runId: d.runId,
        flow: d.flow,
        phase: 'waiting',
        startedAt: this.now(),
        replicas: new Map(d.verified.map(v => [v.stage, v.replicas])),
        ...(d.chains != null ? { chains: d.chains } : {}),
        withoutChunks: { count: 0, workers: [] },
        rate: new RateWindow(),
        throughput: []
      })
      this.note('run', `run of "${d.flow}" started`)
    })
    this.on('run:waiting-for-workers', d => { this.note('run', `"${d.flow}" waits for ${d.count} worker${d.count === 1 ? '' : 's'}`) })
    this.on('run:running', d => {
      const run = this.runs.get(d.runId)
      if (run == null) return
      run.phase = 'running'
      run.runningAt = this.now()
    })
    this.on('run:clusters-waiting', d => { this.note('note', `"${d.flow}" waits for cluster members: ${d.clusters.map(c => `${c.name} (${c.members.length}/${c.size ?? 1})`).join(', ')}`) })
    const ended = (d: CoordinatorEvents['run:done']['detail']): void => {
      const run = this.runs.get(d.runId)
      if (run == null) return
      run.phase = d.ok ? 'done' : 'failed'
      run.endedAt = this.now()
      run.wallMs = d.wallMs
      run.progress = progressOfSummary(d, run.progress)
      if (d.failure != null) run.failure = `stage "${d.failure.stage}", input ${d.failure.input}: ${d.failure.error.name}: ${d.failure.error.message}`
      this.retire(run)
      this.note(d.ok ? 'run' : 'failure', `run of "${d.flow}" ${d.ok ? 'done' : 'failed'}: ${d.jobsDone} jobs in ${(d.wallMs / 1000).toFixed(1)} s${run.failure != null ? ` (${run.failure})` : ''}`)
    }
    this.on('run:done', ended)
    this.on('run:failed', ended)
    this.on('run:interrupted', d => {
      const run = this.runs.get(d.runId)
      if (run == null) return
      run.phase = d.cancelled ? 'cancelled' : 'interrupted'
      run.endedAt = this.now()
      this.retire(run)
      this.note('failure', `run of "${d.flow}" ${d.cancelled ? 'cancelled from the dashboard' : 'interrupted'}`)
    })
    // the run tells once per worker (core/run/worker-features.ts), so counting events counts workers
    this.on('worker:no-chunks', d => {
      const seen = this.runs.get(d.runId)?.withoutChunks
      if (seen == null) return
      seen.count++
      if (seen.workers.length < MAX_CHUNKLESS_ROWS) seen.workers.push({ worker: d.id, stages: d.stages })
    })
    this.on('worker:joined', d => {
      const kind: WorkerKind = d.info.platform.startsWith('browser') ? 'tab' : 'process'
      const worker = newWorker({ id: d.id, kind, peer: d.peer, platform: d.info.platform, labels: d.info.labels, threads: d.info.threads, clusters: d.clusters, joinedAt: this.now() })
      this.workers.set(d.id, worker)
      this.byPeer.set(d.peer, d.id)
      this.note('join', `${d.id} joined (${kind}, ${d.info.threads} thread${d.info.threads === 1 ? '' : 's'}${d.info.labels.length > 0 ? `, labels ${d.info.labels.join(', ')}` : ''})`)
    })
    this.on('worker:left', d => {
      const worker = this.workers.get(d.id)
      if (worker != null) {
        worker.connected = false
        worker.leftAt = this.now()
        worker.reason = d.reason
      }
      this.note(d.reason.startsWith('refused') ? 'refusal' : 'leave', `${d.id} ${d.reason === 'left' ? 'left' : `left: ${d.reason}`}`)
    })
    this.on('worker:refused', d => {
      const worker = this.workers.get(d.id)
      const why = `its results disagreed with the other replicas ${d.disagreements} times`
      if (worker != null) worker.refused = why
      this.note('refusal', `${d.id} refused for this run: ${why}`)
    })
    this.on('peer:misbehaved', d => {
      const id = this.byPeer.get(d.peer)
      if (id != null && d.kind !== 'violation') {
        const worker = this.workers.get(id)
        if (worker != null) worker.refused = d.reason
      }
      this.note('refusal', `peer …${d.peer.slice(-10)} ${d.kind}: ${d.reason}`)
    })
    this.on('worker:heartbeat', d => {
      const id = this.byPeer.get(d.peer)
      const worker = id != null ? this.workers.get(id) : undefined
      if (worker == null) return
      if (d.busyMs != null) worker.cpuMs = d.busyMs
      if (d.state != null) worker.activity = { state: d.state, at: this.now() }
    })
  }

  /** Adds an ended run's counts to the totals the metrics keep. */
  private retire (run: RunRecord): void {
    for (const [stage, c] of Object.entries(run.progress?.stages ?? {})) {
      for (const [outcome, n] of outcomesOf(c)) {
        const key = `${run.flow}\0${stage}\0${outcome}`
        this.endedTotals.set(key, (this.endedTotals.get(key) ?? 0) + n)
      }
    }
  }
}

/** The job outcomes counted per stage (edge_grid_jobs_total's `outcome` label). */
export function outcomesOf (c: StageCounts): Array<[string, number]> {
  return [['done', c.done], ['failed', c.failed], ['retried', c.retried], ['replayed', c.replayed]]
}

function newWorker (w: Omit<WorkerRecord, 'connected' | 'jobsDone' | 'rate'>): WorkerRecord {
  return { ...w, connected: true, jobsDone: 0, rate: new RateWindow() }
}

/** A summary as the last progress: its counts, nothing queued or out. */
function progressOfSummary (d: CoordinatorEvents['run:done']['detail'], last: RunProgress | undefined): RunProgress {
  const stages = Object.fromEntries(Object.entries(d.stages).map(([name, c]) => [name, { ...c, queued: 0, inFlight: 0 }]))
  return {
    jobsDone: d.jobsDone,
    jobsOut: 0,
    queued: 0,
    jobsFailed: d.jobsFailed,
    jobsRetried: d.jobsRetried,
    sourceFraction: last?.sourceFraction,
    stages,
    perWorker: d.perWorker,
    ...(d.verification != null ? { verification: d.verification } : {})
  }
}
