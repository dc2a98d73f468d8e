/**
 * A coordinator's life, as a library object: `start` brings up what lives as long as the coordinator (the
 * embedded worker pool, the libp2p network with its job server and gossip, the browser page, spawned
 * workers), `run` runs one flow on it (journal, FlowRun, embedded workers, waiting for volunteers), `stop`
 * takes it all down. It reports what happens as typed events (events.ts) and prints nothing itself.
 *
 *   const coordinator = new Coordinator({ openSink })
 *   coordinator.addEventListener('worker:joined', evt => { console.log(evt.detail.id) })
 *   const run = await coordinator.prepare(await loadFlowPlan('flow.json'), { journal: { resume: false, fresh: false } })
 *   await coordinator.start({ workers: 4, network: { listen: ['/ip4/127.0.0.1/tcp/0'] } }, { signal })
 *   const { summary } = await coordinator.run(run, { signal })
 *   await coordinator.stop()
 *
 * One run at a time today; the network and the pool do not depend on the run, so hosting a run per submitted
 * flow is `prepare` + `run` again (job streams that arrive between runs wait in the job server).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TypedEventEmitter } from '@libp2p/interface'
import type { AbortOptions } from '@libp2p/interface'
import type { RunListing } from '../../core/protocol/submit-messages.js'
import { RunAbortedError } from '../../core/run/flow-run.js'
import type { RunProgress, RunSummary, SinkOpener } from '../../core/run/flow-run.js'
import type { SourceOpener } from '../../core/run/sources.js'
import { REFUSE_AFTER_DISAGREEMENTS } from '../../core/run/verification.js'
import { ThreadPool } from '../executor/pool.js'
import type { PageServer } from '../http/page-server.js'
import { LocalWorkers } from '../local-workers.js'
import { openSource } from '../sources.js'
import { SpawnedWorkers, SpawnError } from '../spawned-workers.js'
import { CLUSTER_HINT_MS, watchClusters } from './cluster-hint.js'
import { Dashboard } from '../dashboard/dashboard.js'
import { CoordinatorInterruptedError } from './errors.js'
import { emit } from './events.js'
import type { CoordinatorEvents, RunRef } from './events.js'
import type { FlowPlan } from './flow-plan.js'
import { HostedRun } from './hosted-run.js'
import type { RunInit } from './hosted-run.js'
import { CoordinatorNetwork } from './network.js'
import { pageUrls, servePage, withWebSocket } from './page.js'
import { SubmitServer } from './submit/submit-server.js'
import type { SubmitServerInit } from './submit/submit-server.js'

/** Fixed default ports, so volunteers can re-join a restarted coordinator at the same address. */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/4747', '/ip4/0.0.0.0/tcp/4748/ws', '/ip4/0.0.0.0/udp/4749/webrtc-direct']
/** When the default ports are taken: the same transports on free ports. */
export const FALLBACK_LISTEN = ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws', '/ip4/0.0.0.0/udp/0/webrtc-direct']

export interface CoordinatorNetworkOptions {
  /** Listen multiaddrs (default DEFAULT_LISTEN, or FALLBACK_LISTEN when its ports are taken). */
  readonly listen?: readonly string[]
  /** Announce the coordinator on the LAN by mDNS. */
  readonly mdns?: boolean
  /** The key file (peer id and addresses survive restarts); absent: a throwaway identity. */
  readonly identity?: string
  /** A join secret volunteers must prove before they get jobs. */
  readonly secret?: string
  /**
   * Serve the browser worker page on this port (0: any free port), with the dashboard (`/dashboard`) and
   * `/metrics`; a WebSocket listen address is added if none.
   */
  readonly http?: number
  /** Dashboard viewers who prove this secret (never sent: dashboard/control.ts) may cancel runs (default: `serve.secret`). */
  readonly submitSecret?: string
  /** Start local grid-worker processes (named 0 … count-1), with labels per index. */
  readonly spawn?: { readonly count: number, readonly labels?: (index: number) => readonly string[] }
}

export interface CoordinatorInit {
  /** Embedded worker threads (0: none). */
  readonly workers: number
  /** Absent: no network at all (embedded workers only). */
  readonly network?: CoordinatorNetworkOptions
  /** A standing grid: accept flows from clients over the submit protocol (needs `network`). */
  readonly serve?: SubmitServerInit
  /** Workers stay for the next run: a run's end is not announced to them as the end of the work. */
  readonly standing?: boolean
}

export interface CoordinatorComponents {
  readonly openSink: SinkOpener
  readonly openSource?: SourceOpener
}

export interface RunOptions extends AbortOptions {
  /** Its weight in the workers' fair share among the runs going on (default 1). */
  readonly priority?: number
  /** Hand out jobs only once this many network workers are connected. */
  readonly waitWorkers?: number
}

export interface RunResult {
  readonly summary: RunSummary
  /** The run's journal was kept for `--resume` (a sink could not write). */
  readonly journalKept: boolean
}

export class Coordinator extends TypedEventEmitter<CoordinatorEvents> {
  private init: CoordinatorInit | undefined
  private pool: ThreadPool | undefined
  private network: CoordinatorNetwork | undefined
  private page: PageServer | undefined
  private spawned: SpawnedWorkers | undefined
  private submit: SubmitServer | undefined
  private scratch: string | undefined
  private current: HostedRun | undefined
  /** Aborts the current run (stop() during a run interrupts it), and its end. */
  private abortRun: (() => void) | undefined
  private running: Promise<unknown> | undefined
  private cancelled = false
  private dashboard: Dashboard | undefined
  private readonly prepared = new Set<HostedRun>()

  constructor (private readonly components: CoordinatorComponents) {
    super()
  }

  /**
   * Sets up a run of `plan` (its journal: JournalError when it does not fit `init`); nothing starts yet.
   * `io`: where this run's sources are read and its sinks written, when not the coordinator's own (a
   * submitted run's live on its client).
   */
  async prepare (plan: FlowPlan, init: RunInit = {}, io: Partial<CoordinatorComponents> = {}, runId?: string): Promise<HostedRun> {
    const run = await HostedRun.prepare(plan, init, {
      openSource: io.openSource ?? this.components.openSource ?? openSource,
      openSink: io.openSink ?? this.components.openSink
    }, runId)
    this.prepared.add(run)
    if (run.journalNote != null) emit(this, 'log', { message: run.journalNote })
    return run
  }

  /** Starts the pool, the network, the page server. `signal` aborts the start (CoordinatorInterruptedError). */
  async start (init: CoordinatorInit, options: AbortOptions = {}): Promise<void> {
    this.init = init
    const interrupted = (): never => { throw new CoordinatorInterruptedError('stopped while starting', [...this.prepared].some(r => r.resumable)) }
    if (options.signal?.aborted === true) interrupted()
    if (init.workers > 0) this.pool = new ThreadPool({ threads: init.workers })
    const net = init.network
    if (net == null) return
    // before the network starts, so the dashboard sees every event
    // the dashboard's controls take the submit secret of `serve` unless given their own
    if (net.http != null) this.dashboard = new Dashboard({ coordinator: this, submitSecret: net.submitSecret ?? init.serve?.secret, embeddedThreads: init.workers })
    if (net.identity == null) this.scratch = await mkdtemp(join(tmpdir(), 'edge-grid-coordinator-'))
    const identityPath = net.identity ?? join(this.scratch!, 'coordinator.key')
    this.network = await this.startNetwork(net, identityPath)
    if (options.signal?.aborted === true) interrupted()
    const network = this.network
    emit(this, 'network:listening', { peerId: network.node.peerId.toString(), addresses: network.addresses(), joinCommand: network.joinCommand(), secret: net.secret != null })
    if (net.http != null) {
      this.page = await servePage(network, net.http, this.dashboard?.routes)
      emit(this, 'page:serving', { urls: pageUrls(this.page, network) })
    }
    if (init.serve != null) {
      this.submit = new SubmitServer({ node: network.node, coordinator: this, misbehaved: (peer, what) => { network.strike(peer, what) } }, init.serve)
      await this.submit.start()
    }
  }

  /** The runs clients submitted (a standing grid; empty otherwise). */
  submittedRuns (owner?: string): RunListing[] {
    return this.submit?.listing(owner) ?? []
  }

  /** Embedded threads plus network workers connected now. */
  get workerCount (): number {
    return (this.pool?.slots ?? 0) + (this.network?.workerCount ?? 0)
  }

  /** A run's progress (no `runId`: the current run's); undefined when that run is not going on. */
  progress (runId?: string): RunProgress | undefined {
    const run = this.current
    return run != null && (runId == null || run.runId === runId) ? run.flow.progress() : undefined
  }

  /** Bytes received and sent on job streams so far (zero without a network). */
  traffic (): { readonly in: number, readonly out: number } {
    return this.network?.traffic ?? { in: 0, out: 0 }
  }

  /**
   * Stops the run `runId` as its signal would (its journal is kept; `run()` throws
   * CoordinatorInterruptedError). Returns false when no such run is going on.
   */
  cancel (runId: string): boolean {
    if (this.current?.runId !== runId || this.abortRun == null) return false
    this.cancelled = true
    // a submitted run is cancelled through the submit server, which tells its client why
    if (this.submit?.cancel(runId, 'cancelled from the dashboard') === true) return true
    this.abortRun()
    return true
  }

  /**
   * Runs `run` to its end on this coordinator and returns its summary (ok or failed). Throws
   * CoordinatorInterruptedError when `signal` aborts it (its journal is kept), SpawnError when a spawned
   * worker dies before the run could start.
   */
  async run (run: HostedRun, options: RunOptions = {}): Promise<RunResult> {
    if (this.init == null) throw new Error('Coordinator.run before start')
    if (this.current != null) throw new Error('one run at a time')
    const stopping = new AbortController()
    this.cancelled = false
    this.abortRun = () => { stopping.abort() }
    const signal = options.signal != null ? AbortSignal.any([options.signal, stopping.signal]) : stopping.signal
    const running = this.runOnce(this.init, run, signal, options.waitWorkers ?? 0)
    this.running = running
    try {
      return await running
    } finally {
      this.abortRun = this.running = undefined
    }
  }

  private async runOnce (init: CoordinatorInit, run: HostedRun, signal: AbortSignal, waitFor: number): Promise<RunResult> {
    const { plan, flow } = run
    this.current = run
    const onAbort = (): void => { run.close() }
    signal.addEventListener('abort', onAbort, { once: true })
    const spawn = init.network?.spawn?.count ?? 0
    let stopWorkers: (() => void) | undefined
    try {
      const ref = { runId: run.runId, flow: run.name }
      emit(this, 'run:started', {
        ...ref,
        embeddedWorkers: init.workers,
        spawnedWorkers: spawn,
        volunteers: this.network?.listenAddresses().some(a => !/^\/ip4\/127\.|^\/ip6\/::1\//.test(a)) ?? false,
        verified: Object.values(plan.spec.stages).filter(s => s.verify != null).map(s => ({ stage: s.name, replicas: s.verify!.replicas }))
      })
      for (const [hash, bytes] of plan.modules) await this.pool?.addModule(hash, bytes)
      this.network?.attach({ run: flow, flowName: run.name, runId: run.runId }, plan.modules)
      if (this.network != null && spawn > 0 && this.spawned == null) await this.spawn(this.network, init.network!.spawn!)
      const waitWorkers = Math.max(waitFor, spawn)
      if (this.network != null && waitWorkers > 0) await this.waitForWorkers(this.network, ref, waitWorkers, { signal })
      const offRefused = flow.onRefused(id => { emit(this, 'worker:refused', { id, disagreements: REFUSE_AFTER_DISAGREEMENTS }) })
      const local = this.pool != null ? new LocalWorkers(flow, this.pool) : undefined
      const stopHint = watchClusters(plan.spec, flow, clusters => {
        emit(this, 'run:clusters-waiting', { ...ref, clusters, waitedMs: CLUSTER_HINT_MS, ...(this.network != null ? { joinCommand: this.network.joinCommand() } : {}) })
      })
      stopWorkers = () => { local?.stop(); offRefused(); stopHint() }
      emit(this, 'run:running', ref)
      local?.start()
      const summary = await flow.run({ signal })
      stopWorkers()
      const journalKept = await run.ended(summary)
      // the flow is over: workers hear "done" (and say so) before anything stops
      if (init.standing !== true) this.network?.finish(summary.ok)
      emit(this, summary.ok ? 'run:done' : 'run:failed', { ...summary, ...ref })
      return { summary, journalKept }
    } catch (err) {
      if (signal.aborted || err instanceof RunAbortedError) {
        emit(this, 'run:interrupted', { runId: run.runId, flow: run.name, cancelled: this.cancelled })
        throw new CoordinatorInterruptedError(`flow "${run.name}" was interrupted`, run.resumable)
      }
      if (init.standing !== true) this.network?.finish(false)
      throw err
    } finally {
      stopWorkers?.()
      signal.removeEventListener('abort', onAbort)
      run.close()
      this.prepared.delete(run)
      this.current = undefined
    }
  }

  /**
   * Stops everything started (a run going on is interrupted first; spawned workers leave, then the node
   * stops). Safe to call more than once.
   */
  async stop (): Promise<void> {
    const submit = this.submit
    this.submit = undefined
    await submit?.stop()
    this.abortRun?.()
    await this.running?.catch(() => { /* its caller has the error */ })
    const { page, spawned, network, pool, scratch, dashboard } = this
    this.page = this.spawned = this.network = this.pool = this.scratch = this.dashboard = undefined
    dashboard?.close()
    for (const run of this.prepared) run.close()
    this.prepared.clear()
    await page?.close()
    await spawned?.stop()
    await network?.stop()
    await pool?.close()
    if (scratch != null) await rm(scratch, { recursive: true, force: true })
  }

  private async startNetwork (net: CoordinatorNetworkOptions, identityPath: string): Promise<CoordinatorNetwork> {
    const base = { identityPath, mdns: net.mdns === true, secret: net.secret }
    if (net.listen != null) {
      let listen = net.listen
      if (net.http != null) {
        const ws = withWebSocket(listen)
        if (ws.added != null) emit(this, 'log', { message: `browsers connect over WebSockets and no listen address is one: also listening on ${ws.added}` })
        listen = ws.listen
      }
      return await CoordinatorNetwork.start({ ...base, listen }, { events: this })
    }
    try {
      return await CoordinatorNetwork.start({ ...base, listen: DEFAULT_LISTEN }, { events: this })
    } catch (err) {
      if (!/EADDRINUSE|address already in use/i.test(String((err as Error)?.message))) throw err
      emit(this, 'log', { message: 'ports 4747-4749 are taken; listening on free ports instead (use --listen to choose)' })
      return await CoordinatorNetwork.start({ ...base, listen: FALLBACK_LISTEN }, { events: this })
    }
  }

  private async spawn (network: CoordinatorNetwork, spawn: NonNullable<CoordinatorNetworkOptions['spawn']>): Promise<void> {
    emit(this, 'workers:spawning', { count: spawn.count })
    this.spawned = await SpawnedWorkers.start({
      count: spawn.count,
      bootstrap: loopbackAddress(network),
      log: line => { emit(this, 'workers:output', { line }) },
      secret: this.init?.network?.secret,
      labels: spawn.labels
    })
  }

  private async waitForWorkers (network: CoordinatorNetwork, ref: RunRef, count: number, options: AbortOptions): Promise<void> {
    emit(this, 'run:waiting-for-workers', { ...ref, count })
    const joined = network.waitForWorkers(count, options)
    if (this.spawned == null) {
      await joined
      return
    }
    // a spawned worker that dies before joining would leave us waiting forever
    const early = await Promise.race([joined.then(() => undefined), this.spawned.anyExit()])
    if (early != null) throw new SpawnError(`${early} before ${count} worker${count === 1 ? '' : 's'} joined`)
  }
}

/** The address spawned workers dial: loopback TCP when we listen there, else the first TCP address. */
function loopbackAddress (network: CoordinatorNetwork): string {
  const tcp = network.addresses().filter(a => a.includes('/tcp/') && !a.includes('/ws'))
  const pick = tcp.find(a => a.startsWith('/ip4/127.')) ?? tcp.find(a => a.startsWith('/ip6/::1')) ?? tcp[0]
  if (pick == null) throw new SpawnError('--spawn needs a TCP listen address (e.g. --listen /ip4/127.0.0.1/tcp/0)')
  return pick
}
