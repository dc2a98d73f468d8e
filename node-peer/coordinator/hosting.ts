/** A run going on on a coordinator, and how `Coordinator.runs()` shows it. */
import type { RunProgress } from '../../core/run/run-summary.js'
import type { HostedRun } from './hosted-run.js'

/** Where a hosted run is: waiting before its first job (volunteers, spawned workers), or handing out jobs. */
export type HostedRunState = 'starting' | 'waiting-for-workers' | 'running'

/** One hosted run, as `runs()` shows it. */
export interface HostedRunSnapshot {
  readonly runId: string
  readonly flow: string
  readonly state: HostedRunState
  readonly priority: number
  /** When `run` was called (ms since the epoch). */
  readonly startedAt: number
  readonly progress: RunProgress
}

export interface Hosting {
  readonly run: HostedRun
  readonly priority: number
  readonly startedAt: number
  state: HostedRunState
  /** Interrupts the run (stop() during a run). */
  readonly abort: () => void
  /** Set by `cancel(runId)`: its end is reported as cancelled, not interrupted. */
  cancelled?: boolean
  done?: Promise<unknown>
}

export function snapshot (h: Hosting): HostedRunSnapshot {
  return { runId: h.run.runId, flow: h.run.name, state: h.state, priority: h.priority, startedAt: h.startedAt, progress: h.run.flow.progress() }
}
