/**
 * The tab as a worker: stays connected to its coordinator (re-dial loop with backoff), and while the user
 * donates keeps one job-protocol session open through the worker side's link (core/worker/coordinator-link.ts,
 * the same as grid-worker's) on the Web Worker pool, with the page's rules: sessions only with the bootstrap
 * peers, 250 ms between attempts doubling up to 5 s after a failed dial or a coordinator that did not prove
 * the join secret, other tabs looked for once before the first session. With several bootstrap peers the tab
 * works for one at a time (the first that answers) and tries the next in the list only once its coordinator
 * has been gone `forgetAfterMs` (a restarted coordinator gets its tabs back first). Pause = a graceful leave
 * (held jobs finish, then bye); Donate opens a new session.
 * Closing the tab needs nothing: the coordinator re-queues whatever the tab held.
 */
import type { PeerId } from '@libp2p/interface'
import { CoordinatorLink } from '../../core/worker/coordinator-link.js'
import { keepConnected } from '../../core/peer/redial.js'
import type { Redial } from '../../core/peer/redial.js'
import type { WebWorkerPool } from './executor/pool.js'
import type { BrowserNode } from './node.js'
import { peerIdOf, short } from './tab-peers.js'
import type { TabPeers } from './tab-peers.js'

export type DonorState = 'connecting' | 'joining' | 'donating' | 'pausing' | 'paused' | 'reconnecting'

export interface DonorInit {
  readonly node: BrowserNode
  readonly pool: WebWorkerPool
  readonly tabs: TabPeers
  readonly bootstrap: readonly string[]
  readonly name: string
  /** Look this long for other tabs before the first session (they may hold the modules). */
  readonly discoverMs: number
  /** With several bootstrap peers: how long the coordinator may be gone before the next one is tried. */
  readonly forgetAfterMs?: number
  readonly events: DonorEvents
  /** The join secret, proven to a coordinator that challenges (core/protocol/join-proof.ts). */
  readonly secret?: string
}

export interface DonorEvents {
  state: (state: DonorState) => void
  log: (line: string) => void
  flow: (flow: string) => void
  flowDone?: (ok: boolean) => void // the flow of the session ended (the page then resets its jobs/s)
}

export interface DonorStats {
  jobsDone: number
  jobsFailed: number
  /** jobs finished in the last RATE_WINDOW_MS, per second */
  jobsPerSecond: number
  coordinator: string | undefined
  flow: string | undefined
  sessions: number
}

const RATE_WINDOW_MS = 5000
/** Waits between attempts to open a session (the connection itself has its own loop). */
const RETRY_MIN_MS = 250
const RETRY_MAX_MS = 5000

export class Donor {
  private readonly coordinators: PeerId[]
  private readonly totals = { jobsDone: 0, jobsFailed: 0, sessions: 0 }
  /** [time, jobs] of recent batches, for the rate */
  private readonly recent: Array<[number, number]> = []
  private readonly link: CoordinatorLink
  private redial: Redial | undefined
  private discovered = false
  private coordinator: PeerId | undefined
  private flowName: string | undefined
  private _state: DonorState = 'paused'

  constructor (private readonly init: DonorInit) {
    this.coordinators = init.bootstrap.map(peerIdOf)
    const pool = init.pool
    this.link = new CoordinatorLink({
      node: init.node,
      executor: pool,
      fetchModule: async (hash, coordinator) => await init.tabs.fetchModule(hash, coordinator),
      beforeSession: async () => {
        if (this.discovered) return
        this.discovered = true
        await init.tabs.waitForTabs(init.discoverMs)
      }
    }, {
      info: () => ({ name: init.name, threads: pool.slots, platform: 'browser', labels: ['browser'] }),
      coordinators: this.coordinators.map(String),
      secret: init.secret,
      retry: { minMs: RETRY_MIN_MS, maxMs: RETRY_MAX_MS, factor: 2 },
      // the growing retry is the backoff: a coordinator that cannot prove the join secret is tried again within 5 s
      unprovenRetryMs: 0,
      pollMs: 0,
      failover: this.coordinators.length > 1,
      forgetAfterMs: init.forgetAfterMs
    })
    const log = init.events.log
    this.link.addEventListener('coordinator:none', () => { this.setState(this.totals.sessions > 0 ? 'reconnecting' : 'connecting') })
    this.link.addEventListener('session:opening', () => { this.setState('joining') })
    this.link.addEventListener('session:open', () => { this.totals.sessions++ })
    this.link.addEventListener('session:failed', evt => { log(`could not open the job stream: ${evt.detail.error.message}`) })
    this.link.addEventListener('welcome', evt => {
      const { coordinator, flow, run } = evt.detail
      this.coordinator = this.coordinators.find(c => c.toString() === coordinator)
      this.flowName = flow
      init.events.flow(flow)
      log(`joined flow "${flow}" (run ${run.slice(0, 8)}) at coordinator …${short(coordinator)} with ${pool.slots} thread${pool.slots === 1 ? '' : 's'}`)
      this.setState('donating')
    })
    this.link.addEventListener('batch:done', evt => {
      // jobs that finish after a leave's bye are not reported (the coordinator re-queued them), so not counted
      const { jobs, failed } = evt.detail
      this.totals.jobsDone += jobs - failed
      this.totals.jobsFailed += failed
      this.recent.push([performance.now(), jobs])
    })
    this.link.addEventListener('flow:done', evt => { init.events.flowDone?.(evt.detail.ok); log(`flow "${this.flowName ?? '?'}" ${evt.detail.ok ? 'finished' : 'failed'}; waiting for the next one`) })
    this.link.addEventListener('coordinator:forgotten', evt => {
      log(`coordinator …${short(evt.detail.coordinator)} gone for ${Math.round(evt.detail.goneMs / 1000)} s; trying the next one in the list`)
    })
    this.link.addEventListener('refused', evt => { log(`the coordinator refused this worker: ${evt.detail}`) })
    this.link.addEventListener('jobs:recalled', evt => { log(`${evt.detail} job${evt.detail === 1 ? '' : 's'} recalled by the coordinator (their run ended): dropped`) })
    this.link.addEventListener('log', evt => { log(evt.detail) })
    this.link.addEventListener('session:closed', evt => {
      const { coordinator, reason } = evt.detail
      log(`session ended${reason != null ? `: ${reason.message}` : ''}`)
      this.setState(this.init.node.getConnections(this.coordinators.find(c => c.toString() === coordinator)).length > 0 ? 'joining' : 'reconnecting')
    })
  }

  get state (): DonorState {
    return this._state
  }

  get donating (): boolean {
    return this.link.active
  }

  stats (): DonorStats {
    const now = performance.now()
    while (this.recent.length > 0 && now - this.recent[0][0] > RATE_WINDOW_MS) this.recent.shift()
    const jobs = this.recent.reduce((n, [, j]) => n + j, 0)
    const span = this.recent.length > 0 ? Math.min(RATE_WINDOW_MS, Math.max(1000, now - this.recent[0][0])) : RATE_WINDOW_MS
    return {
      ...this.totals,
      jobsPerSecond: jobs / (span / 1000),
      coordinator: (this.coordinator ?? this.connectedCoordinator())?.toString(),
      flow: this.flowName
    }
  }

  /** A bootstrap peer we are connected to now. */
  private connectedCoordinator (): PeerId | undefined {
    return this.coordinators.find(c => this.init.node.getConnections(c).some(conn => conn.status === 'open'))
  }

  /** Connects to the coordinator and keeps the connection (whether donating or not). */
  start (): void {
    this.redial = keepConnected(this.init.node, this.init.bootstrap, { maxDelayMs: 5000 })
    this.init.node.addEventListener('peer:disconnect', evt => {
      if (this.coordinators.some(c => c.equals(evt.detail))) this.init.events.log(`lost the coordinator …${short(evt.detail.toString())}; reconnecting`)
    })
  }

  /** Starts (or resumes) donating. */
  donate (): void {
    if (this.link.active) return
    this.setState(this.link.coordinator != null ? 'joining' : 'connecting')
    this.link.start()
  }

  /** Stops asking for work: held jobs finish, then the session says bye. */
  async pause (): Promise<void> {
    if (this.link.coordinator != null) this.setState('pausing')
    await this.link.leave()
    this.setState('paused')
  }

  /** Changes the thread count; a running session is renewed so the coordinator hears the new count. */
  async setThreads (threads: number): Promise<number> {
    const n = this.init.pool.setThreads(threads)
    if (this.link.coordinator != null && this.link.active) {
      this.init.events.log(`now ${n} thread${n === 1 ? '' : 's'}; renewing the session`)
      await this.link.renew()
    }
    return n
  }

  async stop (): Promise<void> {
    this.redial?.stop()
    await this.link.leave(2000)
  }

  private setState (state: DonorState): void {
    if (state === this._state) return
    this._state = state
    this.init.events.state(state)
  }
}
