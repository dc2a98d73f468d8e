/**
 * A coordinator's life, as a library object: `start` brings up what lives as long as the coordinator (the
 * embedded worker pool, the libp2p network with its job server and gossip, the board every worker takes jobs
 * from, the browser page, spawned workers), `run` runs one flow on it (journal, FlowRun, waiting for
 * volunteers), `stop` takes it all down. It reports what happens as typed events (events.ts) and prints
 * nothing itself.
 *
 *   const coordinator = new Coordinator({ openSink })
 *   coordinator.addEventListener('worker:joined', evt => { console.log(evt.detail.id) })
 *   const run = await coordinator.prepare(await loadFlowPlan('flow.json'), { journal: { resume: false, fresh: false } })
 *   await coordinator.start({ workers: 4, network: { listen: ['/ip4/127.0.0.1/tcp/0'] } }, { signal })
 *   const { summary } = await coordinator.run(run, { signal })
 *   await coordinator.stop()
 *
 * Several runs at once: `run` may be called again while runs go on (`prepare` + `run` per submitted flow).
 * Each run is on the board (core/grid/run-board.ts) from `prepare` (workers joining meanwhile become members
 * of its clusters at once, as they always did) until its end; it hands out jobs once `run` starts it (after
 * waiting for volunteers, if asked). Workers share their job slots between the runs by priority. With `standing`, a run's end tells the
 * workers nothing (they stay for the next run); without, they hear `done` as one-shot workers always did.
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TypedEventEmitter } from '@libp2p/interface'
import type { AbortOptions } from '@libp2p/interface'
import { RunBoard } from '../../core/grid/run-board.js'
import type { RunListing } from '../../core/protocol/submit-messages.js'
import { RunAbortedError } from '../../core/run/flow-run.js'
import type { RunProgress, RunSummary, SinkOpener } from '../../core/run/flow-run.js'
import type { SourceOpener } from '../../core/run/sources.js'
import { ThreadPool } from '../executor/pool.js'
import type { PageServer } from '../http/page-server.js'
import { LocalWorkers } from '../local-workers.js'
import { openSource } from '../sources.js'
import { SpawnedWorkers, SpawnError } from '../spawned-workers.js'
import { CLUSTER_HINT_MS, watchClusters } from './cluster-hint.js'
import { Dashboard } from '../dashboard/dashboard.js'
import { CoordinatorInterruptedError } from './errors.js'
import { emit } from './events.js'
import { forwardWorkerNotices } from './run-notices.js'
import type { CoordinatorEvents, RunRef } from './events.js'
import type { FlowPlan } from './flow-plan.js'
import { HostedRun } from './hosted-run.js'
import { snapshot } from './hosting.js'
import type { Hosting, HostedRunSnapshot } from './hosting.js'
export type { HostedRunSnapshot, HostedRunState } from './hosting.js'
import type { RunInit } from './hosted-run.js'
import { CoordinatorNetwork } from './network.js'
import type { CoordinatorLimits } from '../net/limits.js'
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
  /** Connection limits: most workers at once, new connections a second per address (node-peer/net/limits.ts). */
  readonly limits?: CoordinatorLimits
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
  /**
   * A standing coordinator (runs come and go, workers stay): a run's end sends workers no `done`. False or
   * absent: one-shot, workers hear `done` when the run ends, as `grid-coordinator flow.json` always did.
   */
  readonly standing?: boolean
}

export interface CoordinatorComponents {
  readonly openSink: SinkOpener
  readonly openSource?: SourceOpener
}

export interface RunOptions extends AbortOptions {
  /** Hand out jobs only once this many network workers are connected. */
  readonly waitWorkers?: number
  /**
   * The run's share of every worker's job slots relative to the other runs hosted at once (a positive number,
   * default 1): priority 3 beside a run of priority 1 holds about 3 of every 4 slots (core/grid/fair-share.ts).
   */
  readonly priority?: number
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
  private local: LocalWorkers | undefined
  private spawning: Promise<void> | undefined
  /** Runs going on, by run id, in the order they were started. */
  private readonly hosted = new Map<string, Hosting>()
  private dashboard: Dashboard | undefined
  private readonly prepared = new Set<HostedRun>()
  /** What every worker takes jobs from, for the coordinator's whole life. */
  readonly board = new RunBoard()
  /** The board's id: workers are welcomed to it (one per coordinator life, not per flow). */
  readonly boardId = randomUUID()

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
    try {
      // on the board from now on: it hands out no job before run() starts it, but workers join its clusters
      this.board.add(run.flow)
    } catch (err) {
      run.close()
      throw err
    }
    this.prepared.add(run)
    if (run.journalNote != null) emit(this, 'log', { message: run.journalNote })
    return run
  }

  /** Starts the pool, the network, the page server. `signal` aborts the start (CoordinatorInterruptedError). */
  async start (init: CoordinatorInit, options: AbortOptions = {}): Promise<void> {
    this.init = init
    const interrupted = (): never => { throw new CoordinatorInterruptedError('stopped while starting', [...this.prepared].some(r => r.resumable)) }
    if (options.signal?.aborted === true) interrupted()
    if (init.workers > 0) {
      this.pool = new ThreadPool({ threads: init.workers })
      this.local = new LocalWorkers(this.board, this.pool)
      this.local.start()
    }
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
    emit(this, 'network:listening', { peerId: network.node.peerId.toString(), addresses: network.addresses(), joinCommand: network.joinCommand(), joinAddress: network.joinAddress(), secret: net.secret != null })
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

  /** A hosted run's progress (no `runId`: the first run still going on); undefined when there is none. */
  progress (runId?: string): RunProgress | undefined {
    const hosting = runId != null ? this.hosted.get(runId) : this.hosted.values().next().value
    return hosting?.run.flow.progress()
  }

  /** Every run going on now, in the order they were started. */
  runs (): HostedRunSnapshot[] {
    return [...this.hosted.values()].map(snapshot)
  }

  /** Bytes received and sent on job streams so far (zero without a network). */
  traffic (): { readonly in: number, readonly out: number } {
    return this.network?.traffic ?? { in: 0, out: 0 }
  }

  /** Stops run `runId` as its signal would (journal kept, `run()` throws CoordinatorInterruptedError); false if not going on. */
  cancel (runId: string): boolean {
    const hosting = this.hosted.get(runId)
    if (hosting == null) return false
    hosting.cancelled = true
    // a submitted run is cancelled through the submit server, which tells its client why
    if (this.submit?.cancel(runId, 'cancelled from the dashboard') !== true) hosting.abort()
    return true
  }

  /**
   * Runs `run` to its end on this coordinator and returns its summary (ok or failed). May be called while
   * other runs go on: they share the workers. Throws CoordinatorInterruptedError when `signal` aborts it (its
   * journal is kept), SpawnError when a spawned worker dies before the run could start, RunBoardFullError
   * when RUN_SLOTS runs are going on already.
   */
  async run (run: HostedRun, options: RunOptions = {}): Promise<RunResult> {
    if (this.init == null) throw new Error('Coordinator.run before start')
    if (this.hosted.has(run.runId)) throw new Error(`run ${run.runId} is going on already`)
    const priority = options.priority ?? 1
    if (!(priority > 0 && Number.isFinite(priority))) throw new RangeError(`priority must be a positive number, got ${priority}`)
    const stopping = new AbortController()
    const signal = options.signal != null ? AbortSignal.any([options.signal, stopping.signal]) : stopping.signal
    if (this.board.slotOf(run.flow) == null) this.board.add(run.flow, { weight: priority })
    else this.board.setWeight(run.flow, priority)
    const hosting: Hosting = { run, priority, startedAt: Date.now(), state: 'starting', abort: () => { stopping.abort() } }
    this.hosted.set(run.runId, hosting)
    const running = this.runOnce(this.init, hosting, signal, options.waitWorkers ?? 0)
    hosting.done = running
    try {
      return await running
    } finally {
      this.hosted.delete(run.runId)
    }
  }

  private async runOnce (init: CoordinatorInit, hosting: Hosting, signal: AbortSignal, waitFor: number): Promise<RunResult> {
    const { run } = hosting
    const { plan, flow } = run
    const onAbort = (): void => { run.close() }
    signal.addEventListener('abort', onAbort, { once: true })
    const spawn = init.network?.spawn?.count ?? 0
    const ref = { runId: run.runId, flow: run.name }
    let stopWatching: (() => void) | undefined
    try {
      emit(this, 'run:started', {
        ...ref,
        embeddedWorkers: init.workers,
        spawnedWorkers: spawn,
        volunteers: this.network?.listenAddresses().some(a => !/^\/ip4\/127\.|^\/ip6\/::1\//.test(a)) ?? false,
        verified: Object.values(plan.spec.stages).filter(s => s.verify != null).map(s => ({ stage: s.name, replicas: s.verify!.replicas })),
        ...(flow.chains.length > 0 ? { chains: flow.chains } : {})
      })
      for (const [hash, bytes] of plan.modules) await this.pool?.addModule(hash, bytes)
      this.network?.host({ runId: run.runId, flowName: run.name, progress: () => flow.progress() }, plan.modules)
      if (this.network != null && spawn > 0) await (this.spawning ??= this.spawn(this.network, init.network!.spawn!))
      const waitWorkers = Math.max(waitFor, spawn)
      if (this.network != null && waitWorkers > 0) {
        hosting.state = 'waiting-for-workers'
        await this.waitForWorkers(this.network, ref, waitWorkers, { signal })
      }
      signal.throwIfAborted()
      const offRefused = forwardWorkerNotices(this, flow, ref)
      const stopHint = watchClusters(plan.spec, flow, clusters => {
        emit(this, 'run:clusters-waiting', { ...ref, clusters, waitedMs: CLUSTER_HINT_MS, ...(this.network != null ? { joinCommand: this.network.joinCommand() } : {}) })
      })
      stopWatching = () => { offRefused(); stopHint() }
      // from here on its sources are read: every worker (embedded and network) may take its jobs
      hosting.state = 'running'
      emit(this, 'run:running', ref)
      const summary = await flow.run({ signal })
      this.board.remove(flow)
      const journalKept = await run.ended(summary)
      // a one-shot flow is over: workers hear "done" (and say so) before anything stops
      if (init.standing !== true) this.network?.finish(summary.ok)
      emit(this, summary.ok ? 'run:done' : 'run:failed', { ...summary, ...ref })
      return { summary, journalKept }
    } catch (err) {
      if (signal.aborted || err instanceof RunAbortedError) {
        emit(this, 'run:interrupted', { runId: run.runId, flow: run.name, cancelled: hosting.cancelled === true })
        throw new CoordinatorInterruptedError(`flow "${run.name}" was interrupted`, run.resumable)
      }
      if (init.standing !== true) this.network?.finish(false)
      throw err
    } finally {
      this.board.remove(flow)
      this.network?.unhost(run.runId)
      stopWatching?.()
      signal.removeEventListener('abort', onAbort)
      run.close()
      this.prepared.delete(run)
    }
  }

  /**
   * Stops everything started (runs going on are interrupted first; spawned workers leave, then the node
   * stops). Safe to call more than once.
   */
  async stop (): Promise<void> {
    const submit = this.submit
    this.submit = undefined
    await submit?.stop()
    const runs = [...this.hosted.values()]
    for (const hosting of runs) hosting.abort()
    await Promise.allSettled(runs.map(async h => await h.done))
    this.local?.stop()
    const { page, spawned, network, pool, scratch, dashboard } = this
    this.page = this.spawned = this.network = this.pool = this.scratch = this.local = this.spawning = this.dashboard = undefined
    dashboard?.close()
    for (const run of this.prepared) {
      run.close()
      this.board.remove(run.flow)
    }
    this.prepared.clear()
    await page?.close()
    await spawned?.stop()
    await network?.stop()
    await pool?.close()
    if (scratch != null) await rm(scratch, { recursive: true, force: true })
  }

  /** For people: the flows a worker joining now is told it joined (hosted ones, else those about to run). */
  private welcomeFlow (): string {
    const names = [...new Set([...this.hosted.values()].map(h => h.run.name))]
    if (names.length === 0) for (const run of this.prepared) if (!names.includes(run.name)) names.push(run.name)
    if (names.length === 0) return 'grid'
    return names.length === 1 ? names[0] : `${names[0]} and ${names.length - 1} more`
  }

  private async startNetwork (net: CoordinatorNetworkOptions, identityPath: string): Promise<CoordinatorNetwork> {
    const base = { identityPath, mdns: net.mdns === true, secret: net.secret, limits: net.limits }
    const components = { events: this, board: this.board, boardId: this.boardId, welcomeFlow: () => this.welcomeFlow() }
    if (net.listen != null) {
      let listen = net.listen
      if (net.http != null) {
        const ws = withWebSocket(listen)
        if (ws.added != null) emit(this, 'log', { message: `browsers connect over WebSockets and no listen address is one: also listening on ${ws.added}` })
        listen = ws.listen
      }
      return await CoordinatorNetwork.start({ ...base, listen }, components)
    }
    try {
      return await CoordinatorNetwork.start({ ...base, listen: DEFAULT_LISTEN }, components)
    } catch (err) {
      if (!/EADDRINUSE|address already in use/i.test(String((err as Error)?.message))) throw err
      emit(this, 'log', { message: 'ports 4747-4749 are taken; listening on free ports instead (use --listen to choose)' })
      return await CoordinatorNetwork.start({ ...base, listen: FALLBACK_LISTEN }, components)
    }
  }

  private async spawn (network: CoordinatorNetwork, spawn: NonNullable<CoordinatorNetworkOptions['spawn']>): Promise<void> {
    // once per coordinator, whichever run asks first
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
