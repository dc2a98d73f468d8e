/**
 * What a Coordinator tells whoever hosts it (the CLI renders these; a library user listens to what it needs).
 * Discrete happenings only: progress is a snapshot the renderer samples at its own pace (`progress()`).
 */
import type { TypedEventTarget } from '@libp2p/interface'
import type { ClusterView, RunSummary } from '../../core/run/flow-run.js'
import type { WorkerInfo } from '../../core/protocol/job-messages.js'
import type { WorkerActivity } from '../../core/protocol/announce.js'

export interface WorkerJoined {
  /** The session id (`worker/<name>`, `#2` … when a name is taken). */
  readonly id: string
  readonly info: WorkerInfo
  readonly peer: string
  /** Clusters it became a member of on joining. */
  readonly clusters: readonly string[]
}

export interface WorkerLeft {
  readonly id: string
  /** `left`, `disconnected (…)`, `refused (…)` */
  readonly reason: string
}

/**
 * A peer that broke a rule. `violation`: a job stream closed for a bad frame or message; `refused`: refused
 * at joining (no or a wrong join proof, …); `banned`: struck out, disconnected and refused for a while.
 */
export interface PeerMisbehaved {
  readonly peer: string
  readonly kind: 'violation' | 'refused' | 'banned'
  readonly reason: string
}

export interface NetworkListening {
  readonly peerId: string
  readonly addresses: readonly string[]
  readonly joinCommand: string
  /** The address in `joinCommand` (`--bootstrap` of a grid-worker, also of the worker bundle). */
  readonly joinAddress: string
  /** Whether volunteers must prove a join secret. */
  readonly secret: boolean
}

/** Names the run an event is about: several may be hosted at once (the standing grid). */
export interface RunRef {
  readonly runId: string
  readonly flow: string
}

export interface RunStarted extends RunRef {
  readonly embeddedWorkers: number
  /** Local grid-worker processes started for this coordinator (`--spawn`). */
  readonly spawnedWorkers: number
  /** Whether workers on other machines can join (the network listens beyond loopback). */
  readonly volunteers: boolean
  /** Stages whose jobs each run on several distinct workers. */
  readonly verified: ReadonlyArray<{ readonly stage: string, readonly replicas: number }>
  /** Stages that run chained, each chain head first (core/run/chain-plan.ts; absent from older emitters). */
  readonly chains?: ReadonlyArray<readonly string[]>
}

/** The run has waited this long for clusters that are short of members (embedded workers never join one). */
export interface ClustersWaiting extends RunRef {
  readonly waitedMs: number
  readonly clusters: ReadonlyArray<ClusterView & { readonly name: string }>
  /** The command volunteers join with, when there is a network. */
  readonly joinCommand?: string
}

/** A run's summary, with the run it is about. */
export type RunEnded = RunSummary & RunRef

/** A run stopped before its end: `cancelled` by `coordinator.cancel(runId)`, else its signal or `stop()`. */
export interface RunInterrupted extends RunRef {
  readonly cancelled: boolean
}

/** A worker's gossip heartbeat (best effort, every few seconds): what only the worker knows about itself. */
export interface WorkerHeartbeat {
  readonly peer: string
  readonly name: string
  readonly jobsDone: number
  /** Time its threads spent running jobs. */
  readonly busyMs?: number
  readonly state?: WorkerActivity
}

export interface CoordinatorEvents {
  /** A line for people that no typed event below carries (journal notes, port fallback, what was added). */
  'log': CustomEvent<{ readonly message: string }>
  'network:listening': CustomEvent<NetworkListening>
  /** The browser worker page is served at these URLs. */
  'page:serving': CustomEvent<{ readonly urls: readonly string[] }>
  /** A flow was started on this coordinator (it may still wait for volunteers before handing out jobs). */
  'run:started': CustomEvent<RunStarted>
  'run:waiting-for-workers': CustomEvent<RunRef & { readonly count: number }>
  /** Jobs are being handed out from now on. */
  'run:running': CustomEvent<RunRef>
  'run:clusters-waiting': CustomEvent<ClustersWaiting>
  'run:done': CustomEvent<RunEnded>
  /** The run ended by itself but failed (a job failed on every attempt, or a sink could not write). */
  'run:failed': CustomEvent<RunEnded>
  'run:interrupted': CustomEvent<RunInterrupted>
  'workers:spawning': CustomEvent<{ readonly count: number }>
  /** One line a spawned worker printed, already prefixed `[worker/i] `. */
  'workers:output': CustomEvent<{ readonly line: string }>
  'worker:joined': CustomEvent<WorkerJoined>
  'worker:left': CustomEvent<WorkerLeft>
  /**
   * Result verification in run `runId` refused this worker: the coordinator gives it no more jobs of any run
   * and refuses it if it re-joins (core/grid/run-board.ts).
   */
  'worker:refused': CustomEvent<RunRef & { readonly id: string, readonly disagreements: number }>
  /**
   * This worker's hello does not offer `chunks` (a grid-worker older than chunks): it gets no work of the
   * run's chunked `stages`. Once per worker and run.
   */
  'worker:no-chunks': CustomEvent<RunRef & { readonly id: string, readonly stages: readonly string[] }>
  'peer:misbehaved': CustomEvent<PeerMisbehaved>
  'worker:heartbeat': CustomEvent<WorkerHeartbeat>
  /** A worker returned a batch's results, `jobs` of them, after `busyMs` on one of its threads. */
  'worker:batch': CustomEvent<{ readonly id: string, readonly jobs: number, readonly busyMs: number }>
}

export type CoordinatorEventTarget = TypedEventTarget<CoordinatorEvents>

type DetailOf<K extends keyof CoordinatorEvents> = CoordinatorEvents[K] extends CustomEvent<infer D> ? D : never

/** Dispatches `type` with a detail checked against CoordinatorEvents (safeDispatchEvent alone takes any). */
export function emit<K extends keyof CoordinatorEvents> (events: CoordinatorEventTarget, type: K, detail: DetailOf<K>): void {
  events.safeDispatchEvent(type, { detail })
}
