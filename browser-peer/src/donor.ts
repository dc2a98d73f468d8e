/**
 * The tab as a worker: stays connected to its coordinator (re-dial loop with backoff), and while the user
 * donates keeps one job-protocol session open, run by the shared WorkerAgent (core/peer/worker-agent.ts) on
 * the Web Worker pool. Pause = a graceful leave (held jobs finish, then bye); Donate opens a new session.
 * Closing the tab needs nothing: the coordinator re-queues whatever the tab held.
 */
import type { PeerId } from '@libp2p/interface'
import { UntrustedCoordinatorError, WorkerAgent } from '../../core/worker/worker-agent.js'
import { FrameChannel } from '../../core/protocol/frame-channel.js'
import { isCoordinatorMessage, JOB_PROTOCOL, MAX_JOB_FRAME_BYTES } from '../../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerMessage } from '../../core/protocol/job-messages.js'
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
  readonly events: DonorEvents
  /** The join secret, proven to a coordinator that challenges (core/protocol/join-proof.ts). */
  readonly secret?: string
}

export interface DonorEvents {
  state: (state: DonorState) => void
  log: (line: string) => void
  flow: (flow: string) => void
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
/** Waits between failed attempts to open the job stream (the connection itself has its own loop). */
const RETRY_MIN_MS = 250
const RETRY_MAX_MS = 5000

export class Donor {
  private readonly coordinators: PeerId[]
  private readonly totals = { jobsDone: 0, jobsFailed: 0, sessions: 0 }
  /** [time, jobs] of recent batches, for the rate */
  private readonly recent: Array<[number, number]> = []
  /** Agents that said bye: later outcomes of theirs were never delivered. */
  private readonly left = new WeakSet<WorkerAgent>()
  private agent: WorkerAgent | undefined
  private session: Promise<void> | undefined
  private redial: Redial | undefined
  private wanted = false
  private retryMs = RETRY_MIN_MS
  private discovered = false
  private coordinator: PeerId | undefined
  private flowName: string | undefined
  private _state: DonorState = 'paused'

  constructor (private readonly init: DonorInit) {
    this.coordinators = init.bootstrap.map(peerIdOf)
  }

  get state (): DonorState {
    return this._state
  }

  get donating (): boolean {
    return this.wanted
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
    this.init.node.addEventListener('peer:identify', () => { this.check() })
    this.init.node.addEventListener('peer:disconnect', evt => {
      if (this.coordinators.some(c => c.equals(evt.detail))) this.init.events.log(`lost the coordinator …${short(evt.detail.toString())}; reconnecting`)
    })
  }

  /** Starts (or resumes) donating. */
  donate (): void {
    if (this.wanted) return
    this.wanted = true
    this.retryMs = RETRY_MIN_MS
    this.setState(this.session != null ? 'joining' : 'connecting')
    this.check()
  }

  /** Stops asking for work: held jobs finish, then the session says bye. */
  async pause (): Promise<void> {
    this.wanted = false
    if (this.agent == null) {
      this.setState('paused')
      return
    }
    this.setState('pausing')
    await this.leave(this.agent)
    await this.session
    this.setState('paused')
  }

  /** Changes the thread count; a running session is renewed so the coordinator hears the new count. */
  async setThreads (threads: number): Promise<number> {
    const n = this.init.pool.setThreads(threads)
    if (this.agent != null && this.wanted) {
      this.init.events.log(`now ${n} thread${n === 1 ? '' : 's'}; renewing the session`)
      await this.leave(this.agent)
      await this.session
      this.check()
    }
    return n
  }

  async stop (): Promise<void> {
    this.wanted = false
    this.redial?.stop()
    if (this.agent != null) await this.leave(this.agent, 2000)
  }

  /**
   * A graceful leave. Jobs the coordinator sent before it read our bye may still finish afterwards: their
   * results go nowhere (the coordinator re-queued them), so they are not counted.
   */
  private async leave (agent: WorkerAgent, timeoutMs?: number): Promise<void> {
    await agent.leave(timeoutMs)
    this.left.add(agent)
  }

  private setState (state: DonorState): void {
    if (state === this._state) return
    this._state = state
    this.init.events.state(state)
  }

  /** Opens a session if we want one, have none, and a coordinator is connected. */
  private check (): void {
    if (!this.wanted || this.session != null) return
    const coordinator = this.connectedCoordinator()
    if (coordinator == null) {
      this.setState(this.totals.sessions > 0 ? 'reconnecting' : 'connecting')
      return
    }
    this.session = this.runSession(coordinator).finally(() => {
      this.session = undefined
      this.agent = undefined
      if (this.wanted) setTimeout(() => { this.check() }, this.retryMs)
    })
  }

  private async runSession (coordinator: PeerId): Promise<void> {
    this.setState('joining')
    if (!this.discovered) {
      this.discovered = true
      await this.init.tabs.waitForTabs(this.init.discoverMs)
      if (!this.wanted) return
    }
    let channel: FrameChannel<CoordinatorMessage, WorkerMessage>
    try {
      const stream = await this.init.node.dialProtocol(coordinator, JOB_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      channel = new FrameChannel<CoordinatorMessage, WorkerMessage>(stream, { guard: isCoordinatorMessage, maxFrameBytes: MAX_JOB_FRAME_BYTES })
    } catch (err) {
      this.init.events.log(`could not open the job stream: ${(err as Error).message}`)
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS)
      return
    }
    const pool = this.init.pool
    const agent = new WorkerAgent({
      executor: pool,
      info: { name: this.init.name, threads: pool.slots, platform: 'browser', labels: ['browser'] },
      fetchModule: async hash => await this.init.tabs.fetchModule(hash, coordinator),
      secret: this.init.secret,
      events: {
        welcome: (flow, run) => {
          this.retryMs = RETRY_MIN_MS
          this.coordinator = coordinator
          this.flowName = flow
          this.init.events.flow(flow)
          this.init.events.log(`joined flow "${flow}" (run ${run.slice(0, 8)}) at coordinator …${short(coordinator.toString())} with ${pool.slots} thread${pool.slots === 1 ? '' : 's'}`)
          this.setState('donating')
        },
        batchDone: (jobs, failed) => {
          if (this.left.has(agent)) return
          this.totals.jobsDone += jobs - failed
          this.totals.jobsFailed += failed
          this.recent.push([performance.now(), jobs])
        },
        flowDone: ok => { this.init.events.log(`flow "${this.flowName ?? '?'}" ${ok ? 'finished' : 'failed'}; waiting for the next one`) },
        refused: reason => { this.init.events.log(`the coordinator refused this worker: ${reason}`) },
        log: line => { this.init.events.log(line) }
      }
    })
    this.agent = agent
    this.totals.sessions++
    // a join proof is bound to both peer ids of this Noise-authenticated connection
    const reason = await agent.attach(channel, { self: this.init.node.peerId.toString(), coordinator: coordinator.toString() })
    // a coordinator that cannot prove the join secret will not know it a moment later: back off
    if (reason instanceof UntrustedCoordinatorError) this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS)
    if (this.wanted) {
      this.init.events.log(`session ended${reason != null ? `: ${reason.message}` : ''}`)
      this.setState(this.init.node.getConnections(coordinator).length > 0 ? 'joining' : 'reconnecting')
    }
  }
}
