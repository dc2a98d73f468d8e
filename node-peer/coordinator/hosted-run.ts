/**
 * One flow run on a coordinator: its FlowRun, its run id, and its journal (set up before anything starts, so a
 * journal that does not fit the command is refused before the network listens). What happens to the journal
 * when the run ends: removed when the run ended by itself, kept when it was interrupted or a sink failed.
 */
import { randomUUID } from 'node:crypto'
import { SinkError } from '../../core/errors.js'
import { FlowRun } from '../../core/run/flow-run.js'
import type { RunFailure, RunSummary, SinkOpener } from '../../core/run/flow-run.js'
import type { SourceOpener } from '../../core/run/sources.js'
import { flowFingerprint } from '../flow-fingerprint.js'
import { defaultJournalPath, setUpJournal } from '../run-journal.js'
import type { RunJournalSetup } from '../run-journal.js'
import type { FlowPlan } from './flow-plan.js'

export interface RunInit {
  /** Keep a journal (absent: none, and a crash loses the run's progress). */
  readonly journal?: {
    /** Default: .edge-grid/journals/<flow>-<hash of the flow file's path>.journal */
    readonly path?: string
    /** Continue the interrupted run the journal holds. */
    readonly resume: boolean
    /** Discard an interrupted run's journal and start over. */
    readonly fresh: boolean
  }
}

export interface HostedRunComponents {
  readonly openSource: SourceOpener
  readonly openSink: SinkOpener
}

/**
 * Whether a failure is a sink that could not write (disk full, …): the machine's problem, so the journal is
 * kept for `--resume`. (The failure is data, as it may have crossed the wire: compared by its class's name.)
 */
export function isSinkFailure (failure: RunFailure | undefined): boolean {
  return failure?.error.name === SinkError.name
}

export class HostedRun {
  private constructor (readonly plan: FlowPlan, readonly flow: FlowRun, readonly runId: string, private readonly journal: RunJournalSetup | undefined) {}

  /** Sets up the journal (JournalError when it does not fit `init`) and the FlowRun; nothing runs yet. */
  /** `runId`: a run kept across a restart keeps its id (default: a new one). */
  static async prepare (plan: FlowPlan, init: RunInit, components: HostedRunComponents, runId: string = randomUUID()): Promise<HostedRun> {
    let journal: RunJournalSetup | undefined
    if (init.journal != null) {
      const { spec } = plan
      const fingerprint = await flowFingerprint(plan.text, spec, new Map([...plan.functions].map(([name, fn]) => [name, fn.module])), plan.inputs)
      journal = await setUpJournal(init.journal.path ?? defaultJournalPath(plan.file, spec.name), spec.name, fingerprint, init.journal)
    }
    const flow = new FlowRun({
      spec: plan.spec,
      graph: plan.graph,
      functions: plan.functions,
      openSource: components.openSource,
      openSink: components.openSink,
      journal: journal?.journal,
      resume: journal?.resume
    })
    return new HostedRun(plan, flow, runId, journal)
  }

  get name (): string {
    return this.plan.spec.name
  }

  /** What was resumed or dropped, for people (absent when there is nothing to say). */
  get journalNote (): string | undefined {
    return this.journal?.note
  }

  get hasJournal (): boolean {
    return this.journal != null
  }

  /** Whether an interruption now leaves something to resume. */
  get resumable (): boolean {
    return this.journal?.journal.hasEntries === true
  }

  /**
   * The run ended by itself. A job that failed on every attempt fails again on a resume (functions are pure):
   * nothing to resume. A sink that could not write is the machine's problem: keep the journal. Returns
   * whether it was kept.
   */
  async ended (summary: RunSummary): Promise<boolean> {
    if (this.journal == null) return false
    if (isSinkFailure(summary.failure)) {
      this.journal.journal.close()
      return true
    }
    await this.journal.journal.remove()
    return false
  }

  /** Stops writing the journal (kept as it is: interrupted, or never run). Safe to call more than once. */
  close (): void {
    this.journal?.journal.close()
  }
}
