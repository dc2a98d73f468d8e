/**
 * `grid-worker`: donates this machine's CPUs to a coordinator. Finds it by a bootstrap address or by mDNS,
 * fetches the WASM code it needs (by hash, cached on disk), runs jobs on a worker_threads pool, and leaves
 * cleanly on Ctrl-C (held jobs are finished or handed back).
 */
import '../net/polyfill.js'
import { availableParallelism, homedir, hostname } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { ThreadPool } from '../executor/pool.js'
import { ModuleCache } from '../module-cache.js'
import { loadOrCreateIdentity } from '../net/identity.js'
import { createGridNode } from '../net/node.js'
import { startHeartbeat } from '../worker-heartbeat.js'
import { publishAnnouncement } from '../../core/protocol/announce.js'
import type { Announcement } from '../../core/protocol/announce.js'
import { FORGET_AFTER_MS, UNPROVEN_RETRY_MS, WorkerRunner } from '../worker-runner.js'
import { UntrustedCoordinatorError } from '../../core/worker/worker-agent.js'
import { plural } from '../../core/util/plural.js'
import { formatRateOrNone, RateMeter } from './progress.js'
import { Terminal } from './terminal.js'
import { intOption, parseCommandLine, UsageError } from './usage.js'
import { withTestFaults } from '../test-faults.js'
import { WorkerMetrics } from '../metrics/worker-metrics.js'
import { parseListen, startMetricsServer } from '../metrics/metrics-server.js'
import type { MetricsServer } from '../metrics/metrics-server.js'

const HELP = `Usage: grid-worker [options]

Donates this machine's CPU to an edge-grid coordinator: runs the WebAssembly
jobs it hands out and sends the results back. Ctrl-C leaves cleanly.

Options:
  --bootstrap ADDR   coordinator multiaddr ending in /p2p/<peer id> (repeatable);
                     the address is printed by grid-coordinator at start. The
                     worker keeps retrying until the coordinator is up, and
                     re-joins after the coordinator restarts.
  --mdns             find a coordinator on the local network (it must also run
                     with --mdns); off by default, as it multicasts on every
                     interface. Jobs are taken from one coordinator at a
                     time: the --coordinator peer id if given, else the
                     first one found (with --secret, the first that proves
                     it knows the secret), until it has been gone for
                     --forget-after seconds; then the next one found
  --forget-after S   with --mdns and no --coordinator: seconds the coordinator
                     may be gone (no connection) before this worker joins
                     another (default ${FORGET_AFTER_MS / 1000}: a restarted coordinator gets
                     its workers back first). A --coordinator or --bootstrap
                     peer is never forgotten
  --coordinator ID   with --mdns: take jobs only from the coordinator with
                     this peer id
  --secret S         the coordinator's join secret, proven both ways without
                     sending it: the coordinator proves it first, and one
                     that cannot (no secret, another one, or a version
                     without mutual proof) is left, tried again after ${UNPROVEN_RETRY_MS / 1000} s
                     (default: the EDGE_GRID_SECRET environment variable)
  --threads N        worker threads (default: CPU count, here ${availableParallelism()})
  --name NAME        name shown by the coordinator (default: host-pid)
  --label L          a label for placement (repeatable)
  --listen ADDR      multiaddr to listen on (repeatable; default none, or
                     /ip4/0.0.0.0/tcp/0 with --mdns)
  --identity PATH    keep this worker's peer id in PATH (default: a new id per run)
  --cache DIR        where fetched WASM modules are cached
                     (default: ~/.cache/edge-grid/modules)
  --metrics [HOST:]PORT
                     serve this worker's Prometheus metrics at
                     http://HOST:PORT/metrics (jobs, job durations, bytes,
                     process); HOST defaults to 127.0.0.1, PORT 0 picks one
  --quiet            no status line
  --attached         leave when stdin closes (grid-coordinator --spawn starts
                     its workers this way, so they end with the coordinator)
  -h, --help         show this help

Example:
  npx --no-install grid-worker --bootstrap /ip4/192.168.1.20/tcp/4747/p2p/12D3KooW...
`

interface Options {
  bootstrap: string[]
  mdns: boolean
  threads: number
  name: string
  labels: string[]
  listen: string[]
  identity?: string
  cache: string
  quiet: boolean
  attached: boolean
  coordinator?: string
  secret?: string
  metrics?: { readonly host: string, readonly port: number }
  forgetAfterMs: number
}

function parseOptions (argv: string[]): Options | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      bootstrap: { type: 'string', multiple: true, default: [] },
      mdns: { type: 'boolean', default: false },
      threads: { type: 'string' },
      name: { type: 'string' },
      label: { type: 'string', multiple: true, default: [] },
      listen: { type: 'string', multiple: true, default: [] },
      identity: { type: 'string' },
      cache: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      attached: { type: 'boolean', default: false },
      coordinator: { type: 'string' },
      secret: { type: 'string' },
      metrics: { type: 'string' },
      'forget-after': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  void positionals
  if (values.help === true) return 'help'
  const bootstrap = values.bootstrap ?? []
  for (const addr of bootstrap) {
    let hasPeer = false
    try {
      hasPeer = multiaddr(addr).getComponents().some(c => c.name === 'p2p')
    } catch (err) {
      throw new UsageError(`--bootstrap "${addr}" is not a multiaddr: ${(err as Error).message}`)
    }
    if (!hasPeer) throw new UsageError(`--bootstrap "${addr}" must end in /p2p/<coordinator peer id> (copy it from grid-coordinator's output)`)
  }
  if (bootstrap.length === 0 && values.mdns !== true) throw new UsageError('say where the coordinator is: --bootstrap ADDR, or --mdns to find it on the local network')
  const threads = intOption('--threads', values.threads, 1, 1024, availableParallelism())
  const name = values.name ?? `${hostname()}-${process.pid}`
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new UsageError(`--name "${name}": use 1-64 letters, digits, '.', '_' or '-'`)
  const listen = values.listen ?? []
  if (values.coordinator != null) {
    try {
      peerIdFromString(values.coordinator)
    } catch {
      throw new UsageError(`--coordinator "${values.coordinator}" is not a peer id (the 12D3KooW… id grid-coordinator prints at start)`)
    }
  }
  const metrics = values.metrics != null ? parseListen(values.metrics) : undefined
  if (values.metrics != null && metrics == null) throw new UsageError(`--metrics "${values.metrics}": expected PORT or HOST:PORT (e.g. 9464 or 0.0.0.0:9464)`)
  const forgetAfter = values['forget-after']
  if (forgetAfter != null && (values.mdns !== true || values.coordinator != null || bootstrap.length > 0)) {
    throw new UsageError('--forget-after applies only to a coordinator found by --mdns (without --coordinator or --bootstrap, whose peers are never forgotten)')
  }
  const forgetAfterS = intOption('--forget-after', forgetAfter, 0, 86_400, FORGET_AFTER_MS / 1000)
  const secret = values.secret ?? process.env.EDGE_GRID_SECRET
  if (secret === '') throw new UsageError('--secret / EDGE_GRID_SECRET is empty')
  return {
    coordinator: values.coordinator,
    secret,
    metrics,
    bootstrap,
    mdns: values.mdns === true,
    threads,
    name,
    labels: values.label ?? [],
    listen: listen.length > 0 ? listen : values.mdns === true ? ['/ip4/0.0.0.0/tcp/0'] : [],
    identity: values.identity,
    cache: values.cache ?? join(homedir(), '.cache', 'edge-grid', 'modules'),
    quiet: values.quiet === true,
    attached: values.attached === true,
    forgetAfterMs: forgetAfterS * 1000
  }
}

export async function main (argv: string[], terminal = new Terminal()): Promise<number> {
  const parsed = await parseCommandLine('grid-worker', HELP, argv, terminal, parseOptions)
  if (typeof parsed === 'number') return parsed
  const o = parsed
  const log = (line: string): void => { terminal.log(`[worker/${o.name}] ${line}`) }
  const privateKey = o.identity != null ? await loadOrCreateIdentity(o.identity) : await generateKeyPair('Ed25519')
  const node = await createGridNode({ privateKey, listen: o.listen, bootstrap: o.bootstrap, mdns: o.mdns })
  const pool = new ThreadPool({ threads: o.threads })
  let flow = ''
  let doneBefore = 0
  let runId = ''
  const forgets = o.mdns && o.coordinator == null && o.bootstrap.length === 0
  const traffic = { in: 0, out: 0 }
  // read when scraped (the runner exists by then); created first so no batch goes unobserved
  const metrics = o.metrics != null
    ? new WorkerMetrics({ stats: () => runner.agent.stats, traffic, threads: () => o.threads, connected: () => runner.coordinator != null })
    : undefined
  const runner: WorkerRunner = new WorkerRunner({
    node,
    // TEST ONLY: EDGE_GRID_TEST_CORRUPT_RESULTS=1 makes this worker lie (node-peer/test-faults.ts)
    executor: withTestFaults(pool, process.env),
    info: { name: o.name, threads: o.threads, platform: `node-${process.version}`, labels: o.labels },
    bootstrap: o.bootstrap,
    mdns: o.mdns,
    coordinator: o.coordinator,
    secret: o.secret,
    forgetAfterMs: o.forgetAfterMs,
    cache: new ModuleCache(o.cache),
    traffic,
    events: {
      ...(metrics != null ? { batchDone: (jobs: number, _failed: number, busyMs: number) => { metrics.batchDone(jobs, busyMs) } } : {}),
      attached: peer => { log(`connected to coordinator …${peer.slice(-8)}`) },
      detached: (peer, reason) => {
        if (reason instanceof UntrustedCoordinatorError) log(`${reason.message}; trying it again in ${UNPROVEN_RETRY_MS / 1000} s`)
        else log(`coordinator …${peer.slice(-8)} gone${reason != null ? ` (${reason.message})` : ''}; waiting for it to come back${forgets ? ` (up to ${o.forgetAfterMs / 1000} s)` : ''}`)
      },
      forgotten: (peer, goneMs) => { log(`coordinator …${peer.slice(-8)} gone for ${(goneMs / 1000).toFixed(1)} s: forgot it; joining the next coordinator found${o.secret != null ? ' that proves the join secret' : ''}`) },
      proven: peer => { log(`coordinator …${peer.slice(-8)} proved it knows the join secret`) },
      welcome: (name, run) => {
        if (run !== runId) doneBefore = runner.agent.stats.jobsDone // a re-join of the same run keeps counting
        flow = name
        runId = run
        log(`joined flow "${name}"`)
      },
      // a worker that stays runs many flows: count this one's jobs
      flowDone: ok => { log(`flow "${flow}" ${ok ? 'finished' : 'failed'}; ${plural(runner.agent.stats.jobsDone - doneBefore, 'job')} done here`) },
      refused: reason => { log(`refused by the coordinator: ${reason}`) },
      recalled: jobs => { log(`${plural(jobs, 'job')} recalled by the coordinator (their run ended): dropped`) },
      log
    }
  })
  log(`peer ${node.peerId.toString()}, ${plural(o.threads, 'thread')}; looking for a coordinator ${o.bootstrap.length > 0 ? `at ${o.bootstrap.join(', ')}` : 'on the local network (mDNS)'}`)
  runner.start()
  let metricsServer: MetricsServer | undefined
  if (o.metrics != null && metrics != null) {
    metricsServer = await startMetricsServer(o.metrics, async () => await metrics.scrape())
    log(`metrics at ${metricsServer.url}`)
  }

  let stopping = false
  // heartbeat over gossipsub: lets the coordinator count peers seen and show CPU time (best effort)
  const announcement = (): Extract<Announcement, { t: 'worker' }> => {
    const { jobsDone, busyMs } = runner.agent.stats
    return { t: 'worker', name: o.name, threads: o.threads, platform: 'node', labels: o.labels, jobsDone, busyMs: Math.round(busyMs), ...(stopping ? { state: 'leaving' as const } : {}) }
  }
  const heartbeat = startHeartbeat(node.services.pubsub, announcement)

  const meter = new RateMeter() // no rate until it means something (progress.ts MIN_RATE_WINDOW_MS)
  const status = setInterval(() => {
    if (o.quiet) return
    const done = runner.agent.stats.jobsDone
    const rate = meter.sample(done, performance.now())
    const where = runner.coordinator != null ? `coordinator …${runner.coordinator.slice(-8)}${flow !== '' ? ` · flow ${flow}` : ''}` : 'no coordinator'
    terminal.status(`[worker/${o.name}] ${where} · ${plural(done, 'job')} · ${formatRateOrNone(rate)}`)
  }, 250)

  await new Promise<void>(resolve => {
    const stop = (signal: string): void => {
      if (stopping) {
        log(`${signal} again: leaving now`)
        process.exit(130)
      }
      stopping = true
      publishAnnouncement(node.services.pubsub, announcement()) // the dashboard shows it leaving while it finishes its jobs
      log(`${signal}: finishing held jobs and leaving (${signal} again to leave at once)`)
      resolve()
    }
    process.on('SIGINT', () => { stop('SIGINT') })
    process.on('SIGTERM', () => { stop('SIGTERM') })
    if (o.attached) {
      // the parent (grid-coordinator --spawn) holds the other end: when it goes, so do we
      const orphaned = (): void => { if (!stopping) stop('stdin closed') }
      process.stdin.on('end', orphaned).on('error', orphaned).resume()
    }
  })
  clearInterval(status)
  heartbeat.stop()
  terminal.clearStatus()
  await runner.stop()
  await node.stop()
  await pool.close()
  await metricsServer?.close()
  log(`left; ${plural(runner.agent.stats.jobsDone, 'job')} done`)
  if (o.attached) process.stdin.destroy() // the open pipe would keep the process alive
  return 0
}
