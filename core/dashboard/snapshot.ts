/**
 * What the dashboard page is sent (node-peer/dashboard builds it, browser-peer/src/dashboard renders it): one
 * whole snapshot per push, the same bytes for every viewer. Types only: no secret or key is ever part of it
 * (`secret` and `control` say whether one is set, never what it is).
 */

/** How a worker runs jobs: a grid-worker process, a browser tab, or the coordinator's embedded threads. */
export type WorkerKind = 'process' | 'tab' | 'embedded'

/** `paused`/`leaving` come from the worker's own heartbeat; `busy`/`idle` from the jobs it finished lately. */
export type WorkerState = 'busy' | 'idle' | 'paused' | 'leaving' | 'left' | 'refused'

export interface WorkerView {
  /** The session id (`worker/<name>`), `local` for the embedded threads. */
  readonly id: string
  readonly kind: WorkerKind
  readonly peer?: string
  readonly platform: string
  readonly labels: readonly string[]
  readonly threads: number
  readonly clusters: readonly string[]
  /** Jobs done for every run on this coordinator. */
  readonly jobsDone: number
  readonly jobsPerSecond: number
  /** Time its threads spent running jobs, as its heartbeat reports it (absent: not reported). */
  readonly cpuMs?: number
  readonly state: WorkerState
  /** Why it left or was refused. */
  readonly reason?: string
  readonly joinedAt: number
}

export type RunPhase = 'waiting' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted'

export interface StageView {
  readonly name: string
  readonly done: number
  readonly queued: number
  readonly inFlight: number
  readonly failed: number
  readonly retried: number
  readonly replayed: number
  /** Stages with `verify`: replicas per job. */
  readonly replicas?: number
}

/** A worker that joined a run unable to run some of its chunked stages (an older grid-worker). */
export interface ChunklessWorkerView {
  readonly worker: string
  /** The chunked stages whose work it gets none of. */
  readonly stages: readonly string[]
}

/** The run's workers without chunks (the report's `workersWithoutChunks`), named up to MAX_CHUNKLESS_ROWS. */
export interface WithoutChunksView {
  /** How many in all (named or not). */
  readonly count: number
  /** The first of them, in the order they joined. */
  readonly workers: readonly ChunklessWorkerView[]
}

export interface RunView {
  readonly runId: string
  readonly flow: string
  readonly phase: RunPhase
  readonly startedAt: number
  readonly elapsedMs: number
  readonly jobsDone: number
  readonly jobsFailed: number
  readonly jobsRetried: number
  readonly jobsOut: number
  readonly queued: number
  /** Over the last few seconds (0 once the run ended). */
  readonly jobsPerSecond: number
  /** Fraction of the sources read, when every source knows its size. */
  readonly sourceFraction?: number
  /** Estimated time left, when the sources' sizes are known. */
  readonly etaMs?: number
  readonly stages: readonly StageView[]
  /** Stages that run chained, each chain head first: one job takes a chunk through all of them on one worker. */
  readonly chains?: ReadonlyArray<readonly string[]>
  /** Workers that get none of some chunked stages' work, so they idle for that part of the run. */
  readonly withoutChunks?: WithoutChunksView
  readonly verification?: { readonly verified: number, readonly disagreements: number, readonly suspicious: number }
  /** Why it failed (stage, input, error), for a failed run. */
  readonly failure?: string
  /** Jobs per second, one value per second, oldest first (the last THROUGHPUT_SECONDS at most). */
  readonly throughput: readonly number[]
}

export type GridEventKind = 'join' | 'leave' | 'refusal' | 'failure' | 'run' | 'note'

export interface GridEvent {
  readonly at: number
  readonly kind: GridEventKind
  readonly text: string
}

export interface GridView {
  readonly peerId?: string
  readonly addresses: readonly string[]
  readonly joinCommand?: string
  readonly startedAt: number
  /** Volunteers must prove a join secret. */
  readonly secret: boolean
  /** A submit secret is set: a viewer who proves it may cancel runs. */
  readonly control: boolean
  readonly workers: number
  readonly threads: number
  readonly jobsPerSecond: number
}

export interface DashboardSnapshot {
  readonly v: 1
  readonly now: number
  readonly grid: GridView
  /** Connected workers first, then those that left lately. */
  readonly workers: readonly WorkerView[]
  /** Rows left out to keep a push small (a crowd of workers). */
  readonly workersHidden: number
  /** Runs going on first, then ended ones, newest first. */
  readonly runs: readonly RunView[]
  /** Newest last. */
  readonly events: readonly GridEvent[]
}

/** Seconds of throughput history kept per run (the chart's width). */
export const THROUGHPUT_SECONDS = 300

/** Workers without chunks named per run (the rest are counted): a crowd of old workers keeps a push small. */
export const MAX_CHUNKLESS_ROWS = 20
