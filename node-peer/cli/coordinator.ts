/**
 * `grid-coordinator flow.json`: parses the options, runs the flow on a Coordinator (node-peer/coordinator/),
 * renders its events (coordinator-view.ts) and maps how it ended to an exit code: 0 done, 1 the flow failed
 * while running, 2 bad input, 130 interrupted (Ctrl-C aborts the coordinator's signal).
 */
import '../net/polyfill.js'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { FlowValidationError } from '../../core/errors.js'
import { JournalError } from '../../core/journal/journal.js'
import { Coordinator, DEFAULT_LISTEN } from '../coordinator/coordinator.js'
import type { CoordinatorInit } from '../coordinator/coordinator.js'
import { CoordinatorInterruptedError } from '../coordinator/errors.js'
import { loadFlowPlan, pinnedStage } from '../coordinator/flow-plan.js'
import { SpawnError } from '../spawned-workers.js'
import { openSink } from '../sinks/open-sink.js'
import { SinkItemError } from '../sinks/png-sink.js'
import { SinkFileError } from '../sinks/output-file.js'
import { SourceDataError } from '../sources.js'
import { CoordinatorView } from './coordinator-view.js'
import { Terminal } from './terminal.js'
import { DEFAULT_JOIN_RATE, DEFAULT_MAX_PEERS, MAX_MAX_PEERS } from '../net/limits.js'
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, intOption, parseCommandLine, UsageError } from './usage.js'
import { writeReport } from './report.js'
import { serveMain } from './serve.js'
import { parseSubmitOptions, SUBMIT_HELP, submitMain } from './submit.js'

export { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK }

const HELP = `Usage: grid-coordinator <flow.json> [options]
       grid-coordinator <flow.json> --grid ADDR [options]
       grid-coordinator serve [options]

Runs a flow of WebAssembly functions: validates flow.json, starts embedded worker
threads and runs every source item through the stages to the sinks.

Volunteers join with the command printed at start (npx --no-install grid-worker
--bootstrap ...), or by themselves on the LAN with --mdns on both sides.

Options:
  --workers N      embedded worker threads (default: CPU count, here ${availableParallelism()});
                   0 runs on volunteers only
  --listen ADDR    multiaddr to listen on (repeatable; default
                   ${DEFAULT_LISTEN.join(',\n                   ')}: all interfaces)
  --mdns           announce this coordinator on the local network by mDNS
  --identity PATH  file keeping the coordinator's key, so its peer id and
                   addresses survive restarts (default .edge-grid/coordinator.key)
  --wait-workers N start the run only once N volunteers have joined (useful for
                   deployments and measurements; default 0)
  --spawn N        start N local grid-worker processes (named 0 … N-1, shown as
                   worker/0 …; one thread each), print their output prefixed
                   with [worker/i], wait for them to join, stop them at the end.
                   Implies --workers 0 and listening on 127.0.0.1 only, unless
                   --workers / --listen say otherwise
  --spawn-label [I[-J]=]L
                   a label for spawned workers I…J (all without I=), for
                   clusters chosen by label (repeatable): --spawn 3
                   --spawn-label 0=gpu --spawn-label 1-2=cpu
  --http PORT      serve the browser worker page on PORT (0: any free port), on
                   the interface of the first --listen address; anyone who
                   opens the printed URL donates compute from a browser tab
                   (browsers need a /ws listen address: one is added beside
                   the first TCP one when --listen has none); the same
                   server has the grid dashboard at /dashboard and
                   Prometheus metrics at /metrics
  --local-only     no network at all: embedded workers only
  --max-peers N    most volunteers connected at once (default ${DEFAULT_MAX_PEERS})
  --join-rate N    new connections a second accepted from one IP address
                   before any worker from it has joined (default
                   ${DEFAULT_JOIN_RATE}); every worker from that address that joins adds
                   one a second, so a classroom behind one NAT earns its rate
                   by joining while a flood that never joins stays at N
  --secret S       a join secret volunteers must prove (HMAC over a fresh
                   nonce, the secret is never sent) before they get jobs;
                   default: the EDGE_GRID_SECRET environment variable, if set
  --resume         continue an interrupted run (stopped, killed, crashed) from
                   its journal: finished jobs are not run again and sinks do
                   not get items twice; refused if the flow or an input changed
  --fresh          start over, discarding an interrupted run's journal
  --journal PATH   where the journal is kept (default
                   .edge-grid/journals/<flow>-<hash>.journal); a run that ends
                   by itself removes it
  --no-journal     keep no journal (a crash then loses the run's progress)
  --report FILE    write a JSON summary (jobs done/failed/retried, per stage and
                   per worker, wall time) to FILE
  --quiet          no progress display and no summary (sink output still printed)
  -h, --help       show this help

${SUBMIT_HELP}

A standing coordinator that volunteers join once and many clients submit to:
  grid-coordinator serve [options]   (see grid-coordinator serve --help)

Exit codes: 0 success, 1 the flow failed while running (a job failed on every
attempt, or a sink could not write), 130 interrupted (Ctrl-C), 2 bad input (invalid flow.json, missing files, malformed input data,
a journal that does not fit: see --resume / --fresh).

Example:
  npx grid-coordinator examples/mandelbrot/flow.json --workers 2 --report report.json
  npx grid-coordinator examples/broadcast/flow.json --spawn 2
`

interface Options {
  flow: string
  workers: number
  listen?: string[]
  mdns: boolean
  /** undefined: a fresh identity for this run (--spawn without --identity) */
  identity?: string
  localOnly: boolean
  spawn: number
  /** Labels of spawned worker i. */
  spawnLabels: (index: number) => string[]
  http?: number
  waitWorkers: number
  maxPeers: number
  joinRate: number
  report?: string
  quiet: boolean
  secret?: string
  /** undefined with --no-journal; '' for the default path */
  journal?: string
  resume: boolean
  fresh: boolean
}

function parseOptions (argv: string[]): Options | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workers: { type: 'string' },
      listen: { type: 'string', multiple: true },
      mdns: { type: 'boolean', default: false },
      identity: { type: 'string' },
      'local-only': { type: 'boolean', default: false },
      http: { type: 'string' },
      'wait-workers': { type: 'string' },
      'max-peers': { type: 'string' },
      'join-rate': { type: 'string' },
      spawn: { type: 'string' },
      'spawn-label': { type: 'string', multiple: true, default: [] },
      report: { type: 'string' },
      secret: { type: 'string' },
      journal: { type: 'string' },
      'no-journal': { type: 'boolean', default: false },
      resume: { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help === true) return 'help'
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing <flow.json>' : `expected one flow file, got ${positionals.length}: ${positionals.join(' ')}`)
  const spawn = intOption('--spawn', values.spawn, 0, 64, 0)
  // a local deployment: the spawned processes do the work, as the coordinator is the Hydro "leader"
  const workers = intOption('--workers', values.workers, 0, 1024, spawn > 0 ? 0 : availableParallelism())
  const localOnly = values['local-only'] === true
  if (localOnly && spawn > 0) throw new UsageError('--local-only cannot be combined with --spawn (spawned workers join over the network)')
  if (localOnly && workers === 0) throw new UsageError('--local-only with --workers 0 leaves nobody to run jobs')
  if (localOnly && (values.listen != null || values.mdns === true)) throw new UsageError('--local-only cannot be combined with --listen or --mdns')
  const maxPeers = intOption('--max-peers', values['max-peers'], 1, MAX_MAX_PEERS, DEFAULT_MAX_PEERS)
  const joinRate = intOption('--join-rate', values['join-rate'], 1, 100_000, DEFAULT_JOIN_RATE)
  if (localOnly && (values['max-peers'] != null || values['join-rate'] != null)) throw new UsageError('--local-only has no network: --max-peers and --join-rate do not apply')
  const waitWorkers = intOption('--wait-workers', values['wait-workers'], 0, MAX_MAX_PEERS, 0)
  if (waitWorkers > maxPeers) throw new UsageError(`--wait-workers ${waitWorkers} can never be reached with --max-peers ${maxPeers}`)
  if (localOnly && waitWorkers > 0) throw new UsageError('--local-only cannot wait for volunteers')
  if (values.resume === true && values.fresh === true) throw new UsageError('--resume and --fresh contradict each other')
  if (values['no-journal'] === true && (values.resume === true || values.fresh === true || values.journal != null)) {
    throw new UsageError('--no-journal cannot be combined with --resume, --fresh or --journal')
  }
  return {
    flow: positionals[0],
    waitWorkers: Math.max(waitWorkers, spawn),
    maxPeers,
    joinRate,
    workers,
    // spawned workers run here: loopback is enough, and nothing is exposed to the network
    listen: values.listen ?? (spawn > 0 ? ['/ip4/127.0.0.1/tcp/0'] : undefined),
    mdns: values.mdns === true,
    identity: values.identity ?? (spawn > 0 ? undefined : join('.edge-grid', 'coordinator.key')),
    localOnly,
    spawn,
    spawnLabels: spawnLabelsOption(values['spawn-label'] ?? [], spawn),
    http: values.http != null ? intOption('--http', values.http, 0, 65535, 0) : undefined,
    report: values.report,
    quiet: values.quiet === true,
    secret: secretOption(values.secret ?? process.env.EDGE_GRID_SECRET),
    journal: values['no-journal'] === true ? undefined : values.journal ?? '',
    resume: values.resume === true,
    fresh: values.fresh === true
  }
}

export async function main (argv: string[], terminal = new Terminal()): Promise<number> {
  if (argv[0] === 'serve') return await serveMain(argv.slice(1), terminal)
  if (argv.some(a => a === '--grid' || a.startsWith('--grid='))) {
    const submit = await parseCommandLine('grid-coordinator', HELP, argv, terminal, a => a.includes('--help') || a.includes('-h') ? 'help' : parseSubmitOptions(a))
    return typeof submit === 'number' ? submit : await submitMain(submit, terminal)
  }
  const options = await parseCommandLine('grid-coordinator', HELP, argv, terminal, parseOptions)
  if (typeof options === 'number') return options

  // Ctrl-C stops the coordinator through its signal; a second one kills the process (Node's default)
  const interrupt = new AbortController()
  const onSigint = (): void => { interrupt.abort() }
  process.once('SIGINT', onSigint)
  const { signal } = interrupt
  const coordinator = new Coordinator({ openSink: async (sink, resume) => await openSink(sink, terminal, resume) })
  const view = new CoordinatorView(coordinator, terminal, { quiet: options.quiet, embeddedWorkers: options.workers, spawn: options.spawn })
  try {
    const plan = await loadFlowPlan(options.flow)
    for (const warning of plan.warnings) terminal.log(`warning: ${warning}`)
    const pinned = pinnedStage(plan)
    if (pinned != null && options.localOnly) {
      throw new UsageError(`stage "${pinned.name}" runs on cluster "${pinned.cluster}", whose members are network workers: drop --local-only (try --spawn N)`)
    }
    const journal = options.journal != null ? { path: options.journal === '' ? undefined : options.journal, resume: options.resume, fresh: options.fresh } : undefined
    const run = await coordinator.prepare(plan, { journal })
    await coordinator.start(coordinatorInit(options), { signal })
    const { summary } = await coordinator.run(run, { waitWorkers: options.waitWorkers, signal })
    view.stopProgress()
    // workers were told the flow is over: the spawned ones leave, then the node stops
    await coordinator.stop()
    if (options.report != null) await writeReport(options.report, plan.spec.name, options.workers, summary)
    view.ended(summary, plan.spec.name, run.hasJournal)
    return summary.ok ? EXIT_OK : EXIT_FAILED
  } catch (err) {
    if (err instanceof CoordinatorInterruptedError) {
      view.interrupted(err.resumable)
      return EXIT_INTERRUPTED
    }
    if (err instanceof FlowValidationError || err instanceof SourceDataError || err instanceof UsageError || err instanceof JournalError) {
      terminal.log(`error: ${err.message}`)
      return EXIT_BAD_INPUT
    }
    if (err instanceof SinkItemError || err instanceof SinkFileError || err instanceof SpawnError) {
      terminal.log(`error: ${err.message}`)
      return EXIT_FAILED
    }
    throw err
  } finally {
    process.off('SIGINT', onSigint)
    view.stopProgress()
    await coordinator.stop()
  }
}

function coordinatorInit (options: Options): CoordinatorInit {
  if (options.localOnly) return { workers: options.workers }
  const { listen, mdns, identity, secret, http, spawn, spawnLabels, maxPeers, joinRate } = options
  return { workers: options.workers, network: { listen, mdns, identity, secret, http, limits: { maxPeers, joinRate }, spawn: spawn > 0 ? { count: spawn, labels: spawnLabels } : undefined } }
}

/** `--spawn-label [I[-J]=]LABEL`, repeatable: which spawned workers get which labels. */
function spawnLabelsOption (specs: readonly string[], spawn: number): (index: number) => string[] {
  if (specs.length > 0 && spawn === 0) throw new UsageError('--spawn-label needs --spawn N')
  const rules = specs.map(spec => {
    const m = /^(?:(\d+)(?:-(\d+))?=)?([A-Za-z0-9_.:-]{1,64})$/.exec(spec)
    if (m == null) throw new UsageError(`--spawn-label ${spec}: expected LABEL, I=LABEL or I-J=LABEL (labels: letters, digits, _ . : -)`)
    const from = m[1] != null ? Number(m[1]) : 0
    const to = m[2] != null ? Number(m[2]) : m[1] != null ? from : spawn - 1
    if (from > to || to >= spawn) throw new UsageError(`--spawn-label ${spec}: workers are numbered 0…${spawn - 1}`)
    return { from, to, label: m[3] }
  })
  return index => rules.filter(r => index >= r.from && index <= r.to).map(r => r.label)
}

/** An empty secret would protect nothing: treat "" (e.g. an unset variable in a script) as a mistake. */
function secretOption (secret: string | undefined): string | undefined {
  if (secret == null) return undefined
  if (secret.length === 0) throw new UsageError('--secret / EDGE_GRID_SECRET is empty')
  return secret
}
