/**
 * Turns the grid model into the snapshot every viewer is sent (core/dashboard/snapshot.ts): runs going on
 * first, workers connected first, and at most MAX_WORKER_ROWS workers, so a push stays small with a crowd.
 */
import type { DashboardSnapshot, RunView, StageView, WorkerView } from '../../core/dashboard/snapshot.js'
import type { GridModel, RunRecord } from './grid-model.js'

/** Worker rows per push; the rest are counted (`workersHidden`). */
export const MAX_WORKER_ROWS = 500
/** Events per push (the newest). */
const EVENTS_PER_PUSH = 100

export function buildSnapshot (model: GridModel, options: { readonly control: boolean }): DashboardSnapshot {
  const now = Date.now()
  const anyLive = model.live().length > 0
  const workers = [...model.workers.values()]
    .sort((a, b) => Number(b.connected) - Number(a.connected) || a.joinedAt - b.joinedAt)
  // plain assignments, not spreads of optional fields: this runs for hundreds of rows a couple of times a second
  const rows: WorkerView[] = workers.slice(0, MAX_WORKER_ROWS).map(w => {
    const row: { -readonly [K in keyof WorkerView]: WorkerView[K] } = {
      id: w.id,
      kind: w.kind,
      platform: w.platform,
      labels: w.labels,
      threads: w.threads,
      clusters: w.clusters,
      jobsDone: w.jobsDone,
      jobsPerSecond: w.connected && anyLive ? w.rate.perSecond() : 0,
      state: model.stateOf(w, now, anyLive),
      joinedAt: w.joinedAt
    }
    if (w.peer != null) row.peer = w.peer
    if (w.cpuMs != null) row.cpuMs = w.cpuMs
    const reason = w.refused ?? w.reason
    if (reason != null) row.reason = reason
    return row
  })
  const connected = workers.filter(w => w.connected)
  const runs = [...model.runs.values()].sort((a, b) => Number(a.endedAt != null) - Number(b.endedAt != null) || b.startedAt - a.startedAt)
  const live = runs.filter(r => r.endedAt == null)
  return {
    v: 1,
    now,
    grid: {
      ...model.grid,
      startedAt: model.startedAt,
      control: options.control,
      workers: connected.length,
      threads: connected.reduce((n, w) => n + w.threads, 0),
      jobsPerSecond: live.reduce((n, r) => n + r.rate.perSecond(), 0)
    },
    workers: rows,
    workersHidden: Math.max(0, workers.length - rows.length),
    runs: runs.map(r => runView(r, now)),
    events: model.events.slice(-EVENTS_PER_PUSH)
  }
}

function runView (run: RunRecord, now: number): RunView {
  const p = run.progress
  const ended = run.endedAt != null
  // the run's own time: from handing out jobs (not waiting for workers) to its end
  const elapsedMs = run.wallMs ?? (run.endedAt ?? now) - (run.runningAt ?? run.startedAt)
  const stages: StageView[] = Object.entries(p?.stages ?? {}).map(([name, s]) => ({
    name,
    done: s.done,
    queued: s.queued,
    inFlight: s.inFlight,
    failed: s.failed,
    retried: s.retried,
    replayed: s.replayed,
    ...(run.replicas.has(name) ? { replicas: run.replicas.get(name) } : {})
  }))
  const rate = ended ? 0 : run.rate.perSecond()
  const eta = ended || p == null ? undefined : etaOf(p.sourceFraction, elapsedMs, p.queued + p.jobsOut, rate)
  const v = p?.verification
  return {
    runId: run.runId,
    flow: run.flow,
    phase: run.phase,
    startedAt: run.startedAt,
    elapsedMs,
    jobsDone: p?.jobsDone ?? 0,
    jobsFailed: p?.jobsFailed ?? 0,
    jobsRetried: p?.jobsRetried ?? 0,
    jobsOut: p?.jobsOut ?? 0,
    queued: p?.queued ?? 0,
    jobsPerSecond: rate,
    ...(p?.sourceFraction != null ? { sourceFraction: p.sourceFraction } : {}),
    ...(eta != null ? { etaMs: eta } : {}),
    stages,
    ...(run.chains != null ? { chains: run.chains } : {}),
    ...(run.withoutChunks.count > 0 ? { withoutChunks: { count: run.withoutChunks.count, workers: run.withoutChunks.workers } } : {}),
    ...(v != null ? { verification: { verified: v.verified, disagreements: v.disagreements, suspicious: Object.keys(v.suspicious).length } } : {}),
    ...(run.failure != null ? { failure: run.failure } : {}),
    throughput: run.throughput
  }
}

/**
 * Time left, only when the sources know their size: while they are read, by how fast reading goes (the run
 * state throttles reading to the pace of the work); once all is read, the work left at the current rate.
 */
export function etaOf (sourceFraction: number | undefined, elapsedMs: number, workLeft: number, rate: number): number | undefined {
  if (sourceFraction == null || sourceFraction <= 0) return undefined
  if (sourceFraction < 1) return elapsedMs * (1 - sourceFraction) / sourceFraction
  return rate > 0 ? 1000 * workLeft / rate : undefined
}
