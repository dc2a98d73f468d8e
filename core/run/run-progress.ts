/**
 * A run's progress as displays sample it (the CLI's progress line, the dashboard, /metrics): totals, and per
 * stage what is done, queued and out. Read from the run state's own counters each time (O(stages + workers)),
 * so it is cheap enough to sample a few times a second; nothing is counted here.
 */
import type { ClusterView } from './run-summary.js'
import type { RunState, StageCounts } from './run-state.js'
import type { SourceCursor } from './sources.js'
import type { VerificationReport } from './verification.js'

export interface StageProgress extends StageCounts {
  /** Work waiting in the stage's queue (for a verified stage: jobs whose replicas are not all accepted yet). */
  readonly queued: number
  /** Jobs of the stage out with workers now (replicas count one each). */
  readonly inFlight: number
}

export interface RunProgress {
  readonly jobsDone: number
  readonly jobsOut: number
  readonly queued: number
  readonly jobsFailed: number
  readonly jobsRetried: number
  /** Fraction of all source items read, when every source knows its size. */
  readonly sourceFraction?: number
  /** Each cluster's members now (absent when the flow declares no clusters). */
  readonly clusters?: Record<string, ClusterView>
  /** Per stage, in the flow's order: the summary's counts plus what waits and what is out now. */
  readonly stages: Record<string, StageProgress>
  /** Jobs done per worker so far (the summary's `perWorker`). */
  readonly perWorker: Record<string, number>
  /** Stages with `verify`: jobs verified, disagreements, suspicious workers (absent otherwise). */
  readonly verification?: VerificationReport
  /** Workers that joined without `chunks` and get no work of the chunked stages (absent when none). */
  readonly workersWithoutChunks?: number
  /** Stages that run chained, each chain head first (absent when none: core/run/chain-plan.ts). */
  readonly chains?: string[][]
}

export interface ProgressSources {
  readonly state: RunState
  readonly cursors: Iterable<SourceCursor>
  readonly clusters: Record<string, ClusterView> | undefined
  /** Whether the flow has stages with `verify`. */
  readonly verified: boolean
}

export function runProgress ({ state, cursors, clusters, verified }: ProgressSources): RunProgress {
  let read = 0
  let total = 0
  let known = true
  let sources = 0
  for (const cursor of cursors) {
    const p = cursor.progress()
    sources++
    read += p.done
    if (p.total == null) known = false
    else total += p.total
  }
  const counts = state.stageCounts()
  const load = state.stageLoad()
  const stages: Record<string, StageProgress> = {}
  let done = 0
  let failed = 0
  let retried = 0
  for (const [name, c] of Object.entries(counts)) {
    stages[name] = { ...c, queued: load[name]?.queued ?? 0, inFlight: load[name]?.inFlight ?? 0 }
    done += c.done
    failed += c.failed
    retried += c.retried
  }
  return {
    jobsDone: done,
    jobsOut: state.jobsOut,
    queued: state.itemsQueued,
    jobsFailed: failed,
    jobsRetried: retried,
    sourceFraction: known && sources > 0 ? (total === 0 ? 1 : read / total) : undefined,
    ...(clusters != null ? { clusters } : {}),
    stages,
    perWorker: Object.fromEntries(state.perWorker),
    ...(verified ? { verification: state.verification.snapshot() } : {}),
    ...(state.chunkless.count > 0 ? { workersWithoutChunks: state.chunkless.count } : {}),
    ...chainsField(state)
  }
}

/** `{ chains }` when the run chains stages (each chain head first), else nothing. */
export function chainsField (state: RunState): { chains?: string[][] } {
  const chains = state.chains.chains
  return chains.length > 0 ? { chains: chains.map(c => [...c]) } : {}
}
