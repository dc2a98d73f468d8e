/**
 * `grid-coordinator flow.json`: validates a flow, starts the embedded workers, runs the flow to the end
 * with a progress display, and exits 0 (done), 1 (the flow failed while running) or 2 (bad input).
 */
import '../net/polyfill.js'
import { randomUUID } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { parseArgs } from 'node:util'
import { FlowValidationError, GridError } from '../../core/errors.js'
import { buildGraph } from '../../core/flow/graph.js'
import { loadFlow } from '../../core/flow/validate.js'
import { FlowRun } from '../../core/run/flow-run.js'
import type { RunSummary } from '../../core/run/flow-run.js'
import { JournalError } from '../../core/journal/journal.js'
import { REFUSE_AFTER_DISAGREEMENTS } from '../../core/run/verification.js'
import type { VerificationReport } from '../../core/run/verification.js'
import type { FunctionRef } from '../../core/jobs.js'
import { ThreadPool } from '../executor/pool.js'
import { nodeFlowFiles, readFlowFile } from '../flow-files.js'
import { LocalWorkers } from '../local-workers.js'
import { CoordinatorNetwork } from '../coordinator-network.js'
import { SpawnedWorkers } from '../spawned-workers.js'
import { startPageServer } from '../http/page-server.js'
import type { PageServer } from '../http/page-server.js'
import { flowFingerprint } from '../flow-fingerprint.js'
import { defaultJournalPath, setUpJournal } from '../run-journal.js'
import type { RunJournalSetup } from '../run-journal.js'
import { openSink } from '../sinks/open-sink.js'
import { SinkItemError } from '../sinks/png-sink.js'
import { SinkFileError } from '../sinks/output-file.js'
import { openSource, SourceDataError } from '../sources.js'
import { formatCount, formatDuration, formatRate, ProgressDisplay } from './progress.js'
import { Terminal } from './terminal.js'
import { EXIT_BAD_INPUT, intOption, parseCommandLine, UsageError } from './usage.js'
import { functionRef } from '../../core/flow/function-ref.js'

export const EXIT_OK = 0
export { EXIT_BAD_INPUT }
export const EXIT_FAILED = 1

/** Fixed default ports, so volunteers can re-join a restarted coordinator at the same address. */
const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/4747', '/ip4/0.0.0.0/tcp/4748/ws', '/ip4/0.0.0.0/udp/4749/webrtc-direct']
const FALLBACK_LISTEN = ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws', '/ip4/0.0.0.0/udp/0/webrtc-direct']

const HELP = `Usage: grid-coordinator <flow.json> [options]

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
  --local-only     no network at all: embedded workers only
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
  const waitWorkers = intOption('--wait-workers', values['wait-workers'], 0, 4096, 0)
  if (localOnly && waitWorkers > 0) throw new UsageError('--local-only cannot wait for volunteers')
  if (values.resume === true && values.fresh === true) throw new UsageError('--resume and --fresh contradict each other')
  if (values['no-journal'] === true && (values.resume === true || values.fresh === true || values.journal != null)) {
    throw new UsageError('--no-journal cannot be combined with --resume, --fresh or --journal')
  }
  return {
    flow: positionals[0],
    waitWorkers: Math.max(waitWorkers, spawn),
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
  const options = await parseCommandLine('grid-coordinator', HELP, argv, terminal, parseOptions)
  if (typeof options === 'number') return options

  let pool: ThreadPool | undefined
  let network: CoordinatorNetwork | undefined
  let spawned: SpawnedWorkers | undefined
  let page: PageServer | undefined
  let scratch: string | undefined
  let journal: RunJournalSetup | undefined
  try {
    const { file, text } = await readFlowFile(options.flow)
    const { spec, modules, warnings } = await loadFlow(file, text, nodeFlowFiles)
    for (const warning of warnings) terminal.log(`warning: ${warning}`)
    const graph = buildGraph(spec)
    const pinned = Object.values(spec.stages).find(stage => stage.cluster != null)
    if (pinned != null && options.localOnly) {
      throw new UsageError(`stage "${pinned.name}" runs on cluster "${pinned.cluster!}", whose members are network workers: drop --local-only (try --spawn N)`)
    }

    const functions = new Map<string, FunctionRef>()
    const moduleBytes = new Map<string, Uint8Array>()
    for (const [name, module] of modules) {
      moduleBytes.set(module.hash, module.bytes)
      functions.set(name, functionRef(spec.functions[name], module.hash))
    }
    if (options.workers > 0) {
      pool = new ThreadPool({ threads: options.workers })
      for (const [hash, bytes] of moduleBytes) await pool.addModule(hash, bytes)
    }

    const log = (line: string): void => { if (!options.quiet) terminal.log(line) }
    if (options.journal != null) {
      const fingerprint = await flowFingerprint(text, spec, new Map([...functions].map(([name, fn]) => [name, fn.module])))
      journal = await setUpJournal(options.journal === '' ? defaultJournalPath(file, spec.name) : options.journal, spec.name, fingerprint, options)
      if (journal.note != null) log(journal.note)
    }
    const run = new FlowRun({
      spec,
      graph,
      functions,
      openSource,
      openSink: async (sink, resume) => await openSink(sink, terminal, resume),
      journal: journal?.journal,
      resume: journal?.resume
    })
    if (!options.localOnly) {
      if (options.identity == null) scratch = await mkdtemp(join(tmpdir(), 'edge-grid-coordinator-'))
      const identity = options.identity ?? join(scratch!, 'coordinator.key')
      network = await startNetwork(options, identity, { flowName: spec.name, runId: randomUUID(), run, modules: moduleBytes, log })
      log(`edge-grid coordinator ${network.node.peerId.toString()}`)
      for (const addr of network.addresses()) log(`  listening on ${addr}`)
      log(`volunteers join with:\n  ${network.joinCommand()}${options.secret != null ? ' --secret …  (or EDGE_GRID_SECRET): a join secret is required' : ''}`)
      if (options.http != null) {
        page = await servePage(network, options.http)
        const lan = network.addresses().map(a => /^\/ip4\/([^/]+)\/tcp\//.exec(a)?.[1]).filter((ip): ip is string => ip != null && !ip.startsWith('127.'))
        const urls = page.url.includes('://127.0.0.1:') && lan.length > 0 ? [...new Set(lan)].map(ip => `http://${ip}:${page!.port}/`) : [page.url]
        log(`browser volunteers open:\n  ${urls.join('\n  ')}`)
      }
    }
    const workers = pool != null ? new LocalWorkers(run, pool) : undefined
    const net = network
    const progress = new ProgressDisplay(terminal, spec.name, () => run.progress(), () => (pool?.slots ?? 0) + (net?.workerCount ?? 0))
    log(`edge-grid: running flow "${spec.name}" on ${options.workers} embedded worker${options.workers === 1 ? '' : 's'}${network != null ? ' and any volunteers' : ''}`)
    for (const stage of Object.values(spec.stages)) {
      // replicas need distinct workers: say so, or a flow with too few workers just looks stuck
      if (stage.verify != null) log(`stage "${stage.name}" is verified: each job runs on ${stage.verify.replicas} distinct workers (embedded threads count as one) and waits until that many take work`)
    }
    if (network != null && options.spawn > 0) {
      log(`spawning ${options.spawn} local grid-worker process${options.spawn === 1 ? '' : 'es'}…`)
      spawned = await SpawnedWorkers.start({ count: options.spawn, bootstrap: loopbackAddress(network), log: line => { terminal.log(line) }, secret: options.secret, labels: options.spawnLabels })
    }
    if (network != null && options.waitWorkers > 0) {
      log(`waiting for ${options.waitWorkers} volunteer${options.waitWorkers === 1 ? '' : 's'} to join…`)
      const joined = network.waitForWorkers(options.waitWorkers)
      if (spawned != null) {
        // a spawned worker that dies before joining would leave us waiting forever
        const early = await Promise.race([joined.then(() => undefined), spawned.anyExit()])
        if (early != null) throw new SpawnError(`${early} before ${options.waitWorkers} workers joined`)
      } else {
        await joined
      }
    }
    run.onRefused(worker => { log(`! ${worker} refused: its results disagreed with other workers ${REFUSE_AFTER_DISAGREEMENTS} times (result verification)`) })
    if (!options.quiet) progress.start()
    const interrupted = (): void => {
      journal?.journal.close()
      progress.stop()
      terminal.log(`\ninterrupted${journal?.journal.hasEntries === true ? ': run the same command with --resume to continue' : ' (no job had finished: nothing to resume)'}`)
      process.exit(130)
    }
    process.once('SIGINT', interrupted)
    workers?.start()
    let summary: RunSummary
    try {
      summary = await run.run()
    } finally {
      process.off('SIGINT', interrupted)
      workers?.stop()
      progress.stop()
    }
    // The run ended by itself. A job that failed on every attempt fails again on a resume (functions are pure):
    // nothing to resume. A sink that could not write (disk full, …) is the machine's problem: keep the journal.
    const sinkFailed = summary.failure?.error.name === 'SinkError'
    if (sinkFailed) journal?.journal.close()
    else await journal?.journal.remove()
    // the flow is over: workers hear "done" first (and say so), the spawned ones leave, then the node stops
    network?.finish(summary.ok)
    await spawned?.stop()
    spawned = undefined
    await network?.stop(summary.ok)
    network = undefined
    if (options.report != null) await writeReport(options.report, spec.name, options.workers, summary)
    if (!summary.ok) {
      const f = summary.failure!
      if (sinkFailed) {
        terminal.log(`error: flow "${spec.name}" failed: ${f.error.message}${journal != null ? '\nthe journal is kept: fix the sink, then run the same command with --resume to continue' : ''}`)
        return EXIT_FAILED
      }
      terminal.log(`error: flow "${spec.name}" failed: stage "${f.stage}", input ${f.input}: ${f.error.name}: ${f.error.message} (after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'})`)
      return EXIT_FAILED
    }
    if (!options.quiet) {
      const rate = summary.jobsDone / Math.max(summary.wallMs / 1000, 1e-3)
      const volunteers = Object.keys(summary.perWorker).filter(w => w !== 'local').length
      for (const [name, c] of Object.entries(summary.clusters ?? {})) {
        terminal.log(`cluster ${name}: ${c.members.length > 0 ? c.members.join(', ') : 'no members'}${c.size != null ? ` (${c.members.length}/${c.size})` : ''}`)
      }
      if (summary.verification != null) terminal.log(verificationLine(summary.verification))
      terminal.log(`done: ${formatCount(summary.jobsDone)} jobs in ${formatDuration(summary.wallMs)} (${formatRate(rate)}) on ${options.workers} embedded worker${options.workers === 1 ? '' : 's'}${volunteers > 0 ? ` and ${volunteers} volunteer${volunteers === 1 ? '' : 's'}` : ''}${summary.jobsRetried > 0 ? `, ${summary.jobsRetried} retried` : ''}${summary.resumed != null ? `, ${formatCount(summary.resumed.jobsReplayed)} taken from the journal` : ''}`)
    }
    return EXIT_OK
  } catch (err) {
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
    await page?.close()
    await spawned?.stop()
    await network?.stop(false)
    await pool?.close()
    journal?.journal.close()
    if (scratch != null) await rm(scratch, { recursive: true, force: true })
  }
}

/** A spawned worker could not start or died before the run began. */
export class SpawnError extends GridError {
  static override name = 'SpawnError'
}

/** The address spawned workers dial: loopback TCP when we listen there, else the first TCP address. */
function loopbackAddress (network: CoordinatorNetwork): string {
  const tcp = network.addresses().filter(a => a.includes('/tcp/') && !a.includes('/ws'))
  const pick = tcp.find(a => a.startsWith('/ip4/127.')) ?? tcp.find(a => a.startsWith('/ip6/::1')) ?? tcp[0]
  if (pick == null) throw new SpawnError('--spawn needs a TCP listen address (e.g. --listen /ip4/127.0.0.1/tcp/0)')
  return pick
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

async function startNetwork (options: Options, identityPath: string, init: { flowName: string, runId: string, run: FlowRun, modules: Map<string, Uint8Array>, log: (line: string) => void }): Promise<CoordinatorNetwork> {
  const base = { ...init, identityPath, mdns: options.mdns, secret: options.secret }
  if (options.listen != null) return await CoordinatorNetwork.start({ ...base, listen: options.listen })
  try {
    return await CoordinatorNetwork.start({ ...base, listen: DEFAULT_LISTEN })
  } catch (err) {
    if (!/EADDRINUSE|address already in use/i.test(String((err as Error)?.message))) throw err
    init.log(`ports 4747-4749 are taken; listening on free ports instead (use --listen to choose)`)
    return await CoordinatorNetwork.start({ ...base, listen: FALLBACK_LISTEN })
  }
}

/** `verified: 40 jobs on distinct workers, 3 disagreements; suspicious: liar@…(3)` */
function verificationLine (v: VerificationReport): string {
  const suspicious = Object.entries(v.suspicious).map(([worker, n]) => `${worker} (${n})`)
  return `verified: ${formatCount(v.verified)} job${v.verified === 1 ? '' : 's'} on distinct workers, ${v.disagreements} disagreement${v.disagreements === 1 ? '' : 's'}; suspicious: ${suspicious.length > 0 ? suspicious.join(', ') : 'none'}`
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
    ...(summary.clusters != null ? { clusters: summary.clusters } : {}),
    ...(summary.verification != null ? { verification: summary.verification } : {}),
    ...(summary.resumed != null ? { resumed: summary.resumed } : {}),
    failures: summary.failure != null ? [summary.failure] : []
  }
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`)
}

/**
 * Serves the browser worker page on the host of the coordinator's first TCP listen address, with the
 * coordinator's WebSocket addresses as the page's bootstrap (the browser dials them; loopback last unless the
 * page itself is only served on loopback).
 */
async function servePage (network: CoordinatorNetwork, port: number): Promise<PageServer> {
  const first = network.listenAddresses().find(a => a.includes('/tcp/')) ?? '/ip4/127.0.0.1/tcp/0'
  const host = /^\/ip[46]\/([^/]+)\//.exec(first)?.[1] ?? '127.0.0.1'
  const isLoopback = (a: string): boolean => a.startsWith('/ip4/127.') || a.startsWith('/ip6/::1/')
  return await startPageServer({
    port,
    host,
    config: () => {
      const ws = network.addresses().filter(a => a.includes('/ws/'))
      return { bootstrap: [...ws.filter(a => !isLoopback(a)), ...ws.filter(isLoopback)] }
    }
  })
}
