/**
 * `grid-coordinator flow.json --grid ADDR`: runs a flow on a standing coordinator and behaves like a local
 * run from the user's side (validation errors exit 2 before anything is sent, the progress display, `[sink]`
 * lines on stdout, JSONL and PNG files written here, --report, exit codes 0/1/2/130). Also `--attach RUNID`
 * (the rest of a detached run's output) and `--runs` (this client's runs).
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { FlowValidationError } from '../../core/errors.js'
import type { FlowSpec } from '../../core/flow/model.js'
import { plural } from '../../core/util/plural.js'
import { ClientRun } from '../client/client-run.js'
import type { ClientRunComponents, RunOutcome } from '../client/client-run.js'
import { GridClient, GridUnreachableError, SubmitRefusedError } from '../client/grid-client.js'
import { attachRun, submitRun } from '../client/run-link.js'
import { loadSubmission } from '../client/submission.js'
import { openSink } from '../sinks/open-sink.js'
import { openSource } from '../sources.js'
import { printEnded } from './coordinator-view.js'
import { formatDuration, ProgressDisplay } from './progress.js'
import type { ProgressTotals } from './progress.js'
import type { Terminal } from './terminal.js'
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, intOption, UsageError } from './usage.js'
import { writeReport } from './report.js'

export const SUBMIT_HELP = `Submitting to a standing coordinator (grid-coordinator serve):
  grid-coordinator <flow.json> --grid ADDR [options]   run a flow on it
  grid-coordinator --grid ADDR --attach RUNID          receive the rest of a run
  grid-coordinator --grid ADDR --runs                  list this client's runs

  --grid ADDR        the address grid-coordinator serve printed (ends in /p2p/…)
  --submit-secret S  the coordinator's submit secret (default:
                     EDGE_GRID_SUBMIT_SECRET)
  --priority N       weight in the fair share of workers, 1–100 (default 1)
  --detach           keep the run going if this client goes away; Ctrl-C then
                     leaves it running (attach later with --attach RUNID)
  --identity PATH    this client's key (default ~/.edge-grid/client.key): only
                     this identity may attach to, list or cancel its runs
  --report FILE, --quiet   as for a local run
The flow's files stay here: modules are fetched from this client by hash,
file sources are streamed from here, sinks are written here.`

/** Refusals that are the command's fault (a flow, an address, a secret, a run id): exit 2 like bad input. */
const BAD_INPUT_REFUSALS = new Set(['invalid', 'address', 'no-secret', 'wrong-proof', 'not-allowed', 'not-yours', 'unknown-run', 'version'])

interface SubmitOptions {
  grid: string
  flow?: string
  attach?: string
  runs: boolean
  submitSecret?: string
  priority: number
  detach: boolean
  identity: string
  report?: string
  quiet: boolean
}

export function parseSubmitOptions (argv: string[]): SubmitOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      grid: { type: 'string' },
      attach: { type: 'string' },
      runs: { type: 'boolean', default: false },
      'submit-secret': { type: 'string' },
      priority: { type: 'string' },
      detach: { type: 'boolean', default: false },
      identity: { type: 'string' },
      report: { type: 'string' },
      quiet: { type: 'boolean', default: false }
    }
  })
  const modes = [positionals.length > 0, values.attach != null, values.runs === true].filter(Boolean).length
  if (modes !== 1) throw new UsageError('with --grid, give exactly one of: a flow file, --attach RUNID, --runs')
  if (positionals.length > 1) throw new UsageError(`expected one flow file, got ${positionals.length}: ${positionals.join(' ')}`)
  const secret = values['submit-secret'] ?? process.env.EDGE_GRID_SUBMIT_SECRET
  if (secret === '') throw new UsageError('--submit-secret / EDGE_GRID_SUBMIT_SECRET is empty')
  return {
    grid: values.grid!,
    flow: positionals[0],
    attach: values.attach,
    runs: values.runs === true,
    submitSecret: secret,
    priority: intOption('--priority', values.priority, 1, 100, 1),
    detach: values.detach === true,
    identity: values.identity ?? join(homedir(), '.edge-grid', 'client.key'),
    report: values.report,
    quiet: values.quiet === true
  }
}

/** Runs the client; returns the exit code. */
export async function submitMain (options: SubmitOptions, terminal: Terminal): Promise<number> {
  let submission
  if (options.flow != null) {
    try {
      submission = await loadSubmission(options.flow)
    } catch (err) {
      if (!(err instanceof FlowValidationError)) throw err
      terminal.log(`error: ${err.message}`)
      return EXIT_BAD_INPUT
    }
    for (const warning of submission.plan.warnings) terminal.log(`warning: ${warning}`)
  }
  const client = await GridClient.connect({ grid: options.grid, identity: options.identity, submitSecret: options.submitSecret })
  try {
    if (options.runs) return await listRuns(client, terminal)
    const components = (spec: FlowSpec): ClientRunComponents => ({
      spec,
      openSource,
      openSink: async (name, resume) => await openSink(spec.sinks[name], terminal, resume)
    })
    const run = submission != null
      ? await submitRun(client, submission, { priority: options.priority, detach: options.detach }, components)
      : await attachRun(client, options.attach!, components)
    return await follow(run, options, terminal)
  } catch (err) {
    if (err instanceof SubmitRefusedError || err instanceof GridUnreachableError) {
      terminal.log(`error: ${err.message}`)
      return err instanceof SubmitRefusedError && BAD_INPUT_REFUSALS.has(err.kind) ? EXIT_BAD_INPUT : EXIT_FAILED
    }
    throw err
  } finally {
    await client.stop()
  }
}

async function listRuns (client: GridClient, terminal: Terminal): Promise<number> {
  const runs = await client.list()
  if (runs.length === 0) terminal.log('no runs of this client on the coordinator')
  for (const r of runs) {
    const when = new Date(r.submittedAt).toISOString().replace('T', ' ').slice(0, 19)
    await terminal.write(`${r.run}  ${r.state.padEnd(9)} ${r.flow}  ${plural(r.jobsDone, 'job')} done, ${r.queued} queued  submitted ${when} UTC${r.detach ? '  (detached)' : ''}\n`)
  }
  return EXIT_OK
}

/** Shows progress until the run ends; Ctrl-C cancels it (or, detached, leaves it running). */
async function follow (run: ClientRun, options: SubmitOptions, terminal: Terminal): Promise<number> {
  const say = (line: string): void => { if (!options.quiet) terminal.log(line) }
  say(`run ${run.runId}: flow "${run.flow}" on the grid${options.detach ? `\ndetached: if this client goes away, attach again with\n  npx --no-install grid-coordinator --grid ${options.grid} --attach ${run.runId}` : ''}`)
  const progress = options.quiet ? undefined : new ProgressDisplay(terminal, run.flow, () => progressOf(run), () => run.latest?.workers ?? 0)
  progress?.start()
  let interrupted = false
  const onSigint = (): void => {
    interrupted = true
    if (options.detach) void run.abandon('left by Ctrl-C')
    else run.cancel()
  }
  process.once('SIGINT', onSigint)
  let outcome: RunOutcome
  try {
    outcome = await run.outcome
  } finally {
    process.off('SIGINT', onSigint)
    progress?.stop()
  }
  if (outcome.kind === 'cancelled') {
    if (interrupted && options.detach) terminal.log(`\nleft run ${run.runId} running: attach again with --attach ${run.runId}`)
    else terminal.log(`${interrupted ? '\n' : ''}run ${run.runId} cancelled: ${outcome.reason}`)
    return interrupted ? EXIT_INTERRUPTED : EXIT_FAILED
  }
  const { summary } = outcome
  if (options.report != null) await writeReport(options.report, run.flow, 0, summary)
  if (!summary.ok) {
    printEnded(terminal, { quiet: options.quiet, embeddedWorkers: 0, spawn: 0 }, summary, run.flow, false)
    return EXIT_FAILED
  }
  const workers = Object.keys(summary.perWorker)
  say(`done: ${plural(summary.jobsDone, 'job')} in ${formatDuration(summary.wallMs)} on ${plural(workers.length, 'worker')} (${workers.join(', ')})${summary.resumed != null ? `, ${summary.resumed.jobsReplayed} taken from the journal` : ''}`)
  return EXIT_OK
}

function progressOf (run: ClientRun): ProgressTotals {
  const p = run.latest
  return p == null ? { jobsDone: 0, jobsOut: 0, queued: 0 } : { jobsDone: p.jobsDone, jobsOut: p.jobsOut, queued: p.queued, ...(p.sourceFraction != null ? { sourceFraction: p.sourceFraction } : {}) }
}
