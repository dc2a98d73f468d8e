/**
 * What every worker takes jobs from: a network worker's session (core/peer/worker-session.ts) and the
 * embedded threads (node-peer/local-workers.ts). A FlowRun is one (a single flow, as tests use it); a
 * RunBoard (run-board.ts) is one hosting several runs, which is what a coordinator serves.
 */
import type { Job, JobOutcome } from '../jobs.js'
import type { SideValue } from '../protocol/side-values.js'

/** What a worker declared in its hello: what it can run, and where it belongs. */
export interface WorkerJoin {
  /** Its labels: cluster membership. */
  readonly labels: readonly string[]
  /** How many jobs it runs at once (absent: unknown). */
  readonly threads?: number
  /** Whether it runs jobs of stages with a side input (default true). */
  readonly sideInputs?: boolean
  /** Whether it runs range chunks, core/run/chunks.ts (default true). */
  readonly chunks?: boolean
  /** Whether it runs item chunks, core/run/item-chunks.ts, and combines chunk outputs (default true). */
  readonly itemChunks?: boolean
  /** Whether it runs chained chunks, core/run/chain-plan.ts (default true). */
  readonly chains?: boolean
}

export interface JobBoard {
  /** A worker joined, as its hello declared it. Embedded workers never join: they can do everything. */
  join: (worker: string, joined: WorkerJoin) => void
  /** A worker left: its jobs go back to the queues, and it leaves its clusters. */
  release: (worker: string) => void
  /** Up to `max` jobs for `worker`. `leased`: the worker may vanish, so its jobs expire (network peers). */
  takeJobs: (max: number, worker: string, leased?: boolean) => Job[]
  /** Outcomes of jobs `worker` ran (unknown or late ids are ignored). */
  complete: (outcomes: readonly JobOutcome[], worker?: string) => void
  /** Calls `listener` whenever new jobs may be available. Returns an unsubscribe. */
  onWork: (listener: () => void) => () => void
  /** Whether verification refused `worker`: it gets no jobs and must not rejoin. */
  isRefused: (worker: string) => boolean
  /** Calls `listener` once per worker refused by verification. Returns an unsubscribe. */
  onRefused: (listener: (worker: string) => void) => () => void
  /** The current value of a side input, by the name its jobs carry in `side`. */
  sideValue: (name: string) => SideValue | undefined
  /**
   * Optional: calls `listener` when jobs handed out are no longer wanted (their run ended, e.g. cancelled);
   * `recalled(id)` says whether a job is one of them. Workers drop those they still hold. Returns an unsubscribe.
   */
  onRecall?: (listener: (recalled: (id: number) => boolean) => void) => () => void
  /** Jobs waiting to be handed out now (cheap: dispatch loops size their next batch by it). */
  readonly queued: number
}
