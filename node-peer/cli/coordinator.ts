/**
 * `grid-coordinator flow.json`: validates a flow, starts the embedded workers, runs the flow to the end
 * with a progress display, and exits 0 (done), 1 (the flow failed while running) or 2 (bad input).
 */
import { availableParallelism } from 'node:os'
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { FlowValidationError } from '../../core/errors.js'
import { buildGraph } from '../../core/flow/graph.js'
import { loadFlow } from '../../core/flow/validate.js'
import { FlowRun } from '../../core/run/flow-run.js'
import type { RunSummary } from '../../core/run/flow-run.js'
import type { FunctionRef } from '../../core/jobs.js'
import { ThreadPool } from '../executor/pool.js'
import { nodeFlowFiles, readFlowFile } from '../flow-files.js'
import { LocalWorkers } from '../local-workers.js'
import { openSink } from '../sinks/open-sink.js'
import { SinkItemError } from '../sinks/png-sink.js'
import { openSource, SourceDataError } from '../sources.js'
import { formatCount, formatDuration, formatRate, ProgressDisplay } from './progress.js'
import { Terminal } from './terminal.js'
import { UsageError, usageErrorMessage } from './usage.js'

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_BAD_INPUT = 2

const HELP = `Usage: grid-coordinator <flow.json> [options]

Runs a flow of WebAssembly functions: validates flow.json, starts embedded worker
threads and runs every source item through the stages to the sinks.

Options:
  --workers N      embedded worker threads (default: CPU count, here ${availableParallelism()})
  --report FILE    write a JSON summary (jobs done/failed/retried, per stage and
                   per worker, wall time) to FILE
  --quiet          no progress display and no summary (sink output still printed)
  -h, --help       show this help

Exit codes: 0 success, 1 the flow failed while running (a job failed on every
attempt), 2 bad input (invalid flow.json, missing files, malformed input data).

Example:
  npx grid-coordinator examples/mandelbrot/flow.json --workers 2 --report report.json
`

interface Options {
  flow: string
  workers: number
  report?: string
  quiet: boolean
}

function parseOptions (argv: string[]): Options | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workers: { type: 'string' },
      report: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help === true) return 'help'
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing <flow.json>' : `expected one flow file, got ${positionals.length}: ${positionals.join(' ')}`)
  let workers = availableParallelism()
  if (values.workers != null) {
    workers = Number(values.workers)
    if (!Number.isInteger(workers) || workers < 1 || workers > 1024) throw new UsageError(`--workers expects an integer from 1 to 1024, got "${values.workers}"`)
  }
  return { flow: positionals[0], workers, report: values.report, quiet: values.quiet === true }
}

export async function main (argv: string[], terminal = new Terminal()): Promise<number> {
  let options: Options | 'help'
  try {
    options = parseOptions(argv)
  } catch (err) {
    terminal.log(`grid-coordinator: ${usageErrorMessage(err)}\nRun grid-coordinator --help for usage.`)
    return EXIT_BAD_INPUT
  }
  if (options === 'help') {
    await terminal.write(HELP)
    return EXIT_OK
  }

  let pool: ThreadPool | undefined
  try {
    const { file, text } = await readFlowFile(options.flow)
    const { spec, modules, warnings } = await loadFlow(file, text, nodeFlowFiles)
    for (const warning of warnings) terminal.log(`warning: ${warning}`)
    const graph = buildGraph(spec)

    pool = new ThreadPool({ threads: options.workers })
    const functions = new Map<string, FunctionRef>()
    for (const [name, module] of modules) {
      if (!pool.hasModule(module.hash)) await pool.addModule(module.hash, module.bytes)
      functions.set(name, { module: module.hash, export: spec.functions[name].export })
    }

    const run = new FlowRun({
      spec,
      graph,
      functions,
      openSource,
      openSink: async sink => await openSink(sink, terminal)
    })
    const workers = new LocalWorkers(run, pool)
    const progress = new ProgressDisplay(terminal, spec.name, () => run.progress(), () => pool?.slots ?? 0)
    if (!options.quiet) {
      terminal.log(`edge-grid: running flow "${spec.name}" on ${options.workers} embedded worker${options.workers === 1 ? '' : 's'}`)
      progress.start()
    }
    workers.start()
    let summary: RunSummary
    try {
      summary = await run.run()
    } finally {
      workers.stop()
      progress.stop()
    }
    if (options.report != null) await writeReport(options.report, spec.name, options.workers, summary)
    if (!summary.ok) {
      const f = summary.failure!
      terminal.log(`error: flow "${spec.name}" failed: stage "${f.stage}", input ${f.input}: ${f.error.name}: ${f.error.message} (after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'})`)
      return EXIT_FAILED
    }
    if (!options.quiet) {
      const rate = summary.jobsDone / Math.max(summary.wallMs / 1000, 1e-3)
      terminal.log(`done: ${formatCount(summary.jobsDone)} jobs in ${formatDuration(summary.wallMs)} (${formatRate(rate)}) on ${options.workers} worker${options.workers === 1 ? '' : 's'}${summary.jobsRetried > 0 ? `, ${summary.jobsRetried} retried` : ''}`)
    }
    return EXIT_OK
  } catch (err) {
    if (err instanceof FlowValidationError || err instanceof SourceDataError) {
      terminal.log(`error: ${err.message}`)
      return EXIT_BAD_INPUT
    }
    if (err instanceof SinkItemError) {
      terminal.log(`error: ${err.message}`)
      return EXIT_FAILED
    }
    throw err
  } finally {
    await pool?.close()
  }
}

async function writeReport (path: string, flow: string, workers: number, summary: RunSummary): Promise<void> {
  const report = {
    flow,
    ok: summary.ok,
    workers,
    wallMs: Math.round(summary.wallMs),
    jobs: { done: summary.jobsDone, failed: summary.jobsFailed, retried: summary.jobsRetried },
    perWorker: summary.perWorker,
    stages: summary.stages,
    failures: summary.failure != null ? [summary.failure] : []
  }
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`)
}
