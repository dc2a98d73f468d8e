/** What a run reports: its summary when it ends, its progress while it goes on (run-progress.ts), its clusters. */
import type { ErrorData } from '../jobs.js'
import type { StageCounts } from './run-state.js'
import type { VerificationReport } from './verification.js'

export interface RunFailure {
  readonly stage: string
  /** The failing job's input, decoded and shortened for people. */
  readonly input: string
  readonly attempts: number
  readonly error: ErrorData
}

export interface RunSummary {
  readonly ok: boolean
  readonly failure?: RunFailure
  readonly jobsDone: number
  readonly jobsFailed: number
  readonly jobsRetried: number
  readonly stages: Record<string, StageCounts>
  readonly perWorker: Record<string, number>
  readonly wallMs: number
  /** Each cluster's members when the run ended (absent when the flow declares no clusters). */
  readonly clusters?: Record<string, ClusterView>
  /** Stages with `verify`: jobs verified, jobs whose replicas disagreed, suspicious workers (absent otherwise). */
  readonly verification?: VerificationReport
  /** Workers that joined without the `chunks` feature (older grid-workers) and so ran none of the chunked stages' work. */
  readonly workersWithoutChunks?: number
  /**
   * Stages that ran chained (core/run/chain-plan.ts), each chain head first: a chunk of the head ran the whole
   * chain in one job on one worker. Absent when nothing chained. Counts in `stages` stay per stage.
   */
  readonly chains?: string[][]
  /** A resumed run: jobs taken from the journal instead of run again, sink items not written again. */
  readonly resumed?: { readonly jobsReplayed: number, readonly sinkItemsSkipped: number }
}

export interface ClusterView {
  readonly members: string[]
  /** The declared `members` count, if any. */
  readonly size?: number
  readonly labels: string[]
}

export type { RunProgress, StageProgress } from './run-progress.js'
