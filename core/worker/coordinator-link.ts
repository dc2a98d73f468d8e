/**
 * The worker side's link to its coordinator, one implementation for `grid-worker` (node-peer/worker-runner.ts)
 * and the browser page (browser-peer/src/donor.ts): finds a trusted coordinator among the node's connections,
 * dials the job protocol with a timeout, runs the frame channel, lets WorkerAgent do the trust handshake
 * (mutual join proof) and the batch dispatch, and when the session ends looks again after a delay, backing off
 * from a coordinator that did not prove the join secret. The connection itself is kept by the re-dial loop
 * (core/peer/redial.ts); this link only opens sessions over it.
 *
 * Which coordinator: a trusted one (coordinator-choice.ts: the pinned peer ids, or with `acceptFirst` the first
 * joined) that speaks the job protocol (identify told us). A coordinator learned with `acceptFirst`, or the one
 * of the list joined with `failover`, is stayed with until it has been gone `forgetAfterMs`; then the link
 * forgets it and joins the next that qualifies.
 *
 * Retry rules (parameters, defaults are grid-worker's):
 * - after a session ends or a dial fails, the next look is `retry` later: it starts at `minMs`, grows by
 *   `factor` after each failed dial or unproven coordinator, up to `maxMs`, and is back at `minMs` after a
 *   welcome (grid-worker: 500 ms flat; the page: 250 ms doubling up to 5 s);
 * - a coordinator that did not prove the secret is not tried again for `unprovenRetryMs` (grid-worker: 30 s;
 *   another coordinator may be tried meanwhile).
 */
import { TypedEventEmitter } from '@libp2p/interface'
import type { AbortOptions, Connection, Libp2p, PeerId } from '@libp2p/interface'
import type { JobExecutor } from '../jobs.js'
import { FrameChannel } from '../protocol/frame-channel.js'
import type { TrafficCounter } from '../protocol/frame-channel.js'
import { isCoordinatorMessage, JOB_PROTOCOL, MAX_JOB_FRAME_BYTES } from '../protocol/job-messages.js'
import type { CoordinatorMessage, WorkerInfo, WorkerMessage } from '../protocol/job-messages.js'
import { UntrustedCoordinatorError, WorkerAgent } from './worker-agent.js'
import { CoordinatorChoice } from './coordinator-choice.js'

export { DEFAULT_FORGET_AFTER_MS } from './coordinator-choice.js'

/** Longest wait for the job stream to open (connection, protocol negotiation), unless the init says otherwise. */
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000
/**
 * A coordinator that did not prove the join secret is left alone this long by default: it will not know it a
 * second later, and each try costs both sides a session and a log line (it may be restarted with the secret).
 */
export const DEFAULT_UNPROVEN_RETRY_MS = 30_000
/**
 * A pinned coordinator whose connection has been open this long without identify telling us its protocols is
 * tried anyway: identify runs once per connection, and on a busy coordinator (a crowd joining at once) it can
 * time out, which left a worker connected but never asking for a session. A pinned peer is meant to be a
 * coordinator: if it does not speak the job protocol, the dial fails and the worker backs off.
 */
export const IDENTIFY_GRACE_MS = 5000
/** Default wait before looking again after a session or a failed dial (events usually come first). */
export const DEFAULT_RETRY_MS = 500

export interface BackoffInit {
  readonly minMs: number
  readonly maxMs?: number
  /** growth after each failure (default 2; with maxMs = minMs, the wait is flat) */
  readonly factor?: number
}

/** The parts of a libp2p node the link uses. */
export type LinkNode = Pick<Libp2p, 'peerId' | 'dialProtocol' | 'getConnections' | 'peerStore' | 'addEventListener' | 'removeEventListener'>

export interface LinkTimers {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (timer: unknown) => void
}

export interface CoordinatorLinkComponents {
  readonly node: LinkNode
  readonly executor: JobExecutor
  /** A module's bytes by content hash for a job of `coordinator` (verified by the fetcher). */
  readonly fetchModule: (hash: string, coordinator: PeerId) => Promise<Uint8Array>
  /** Awaited before each session's dial (the page looks for other tabs first: they may hold the modules). */
  readonly beforeSession?: (options: AbortOptions) => Promise<void>
  /** Defaults to the global timers and `Date.now`. */
  readonly timers?: LinkTimers
}

export interface CoordinatorLinkInit {
  /** What the hello says about this worker; a function is asked at each session (the thread count may change). */
  readonly info: WorkerInfo | (() => WorkerInfo)
  /** Peer ids of the coordinators to take jobs from (bootstrap addresses' ids, --coordinator). */
  readonly coordinators?: readonly string[]
  /** With nothing pinned, join the first coordinator found (mDNS), then pin it (until it is forgotten). */
  readonly acceptFirst?: boolean
  /**
   * How long the joined coordinator may be gone (no connection, no session) before the link forgets it and
   * joins the next that qualifies (default DEFAULT_FORGET_AFTER_MS; Infinity: never). Forgets the pin learned
   * with `acceptFirst`, or with `failover` moves on in the list; `coordinators` themselves stay trusted.
   */
  readonly forgetAfterMs?: number
  /**
   * With several `coordinators`: work for one at a time, the first that answers (in list order when several
   * do), and move to the next in the list only once it is forgotten (the page). Without: any connected one.
   */
  readonly failover?: boolean
  /** The join secret: the coordinator must prove it, then the worker proves it (core/protocol/join-proof.ts). */
  readonly secret?: string
  /** Longest wait for the job stream to open (default DEFAULT_DIAL_TIMEOUT_MS). */
  readonly dialTimeoutMs?: number
  /** Wait before the next look after a session or a failed dial (default DEFAULT_RETRY_MS, flat). */
  readonly retry?: BackoffInit
  /** How long a coordinator that did not prove the secret is skipped (default DEFAULT_UNPROVEN_RETRY_MS; 0: not skipped). */
  readonly unprovenRetryMs?: number
  /** Also look for a coordinator this often while there is no session (default DEFAULT_RETRY_MS; 0: only on events). */
  readonly pollMs?: number
  /** Adds the job streams' bytes in and out (grid-worker --metrics). */
  readonly traffic?: TrafficCounter
}

export interface SessionEnd {
  readonly coordinator: string
  /** Why the session ended, if not cleanly; an UntrustedCoordinatorError when the worker left an unproven coordinator. */
  readonly reason?: Error
}

export interface CoordinatorLinkEvents {
  /** Wanting a session, but no trusted coordinator is connected. */
  'coordinator:none': CustomEvent<void>
  /** A session with this coordinator is being opened. */
  'session:opening': CustomEvent<string>
  /** The job stream is open: the hello is on its way. */
  'session:open': CustomEvent<string>
  /** The job stream could not be opened. */
  'session:failed': CustomEvent<{ coordinator: string, error: Error }>
  /** A session ended while the link still wanted one (a leave of our own is not reported). */
  'session:closed': CustomEvent<SessionEnd>
  /** With a secret: the coordinator proved it knows it (it is pinned from now on). */
  'coordinator:proven': CustomEvent<string>
  /** The joined coordinator has been gone `goneMs` (at least forgetAfterMs): the link looks for the next one. */
  'coordinator:forgotten': CustomEvent<{ coordinator: string, goneMs: number }>
  'welcome': CustomEvent<{ coordinator: string, flow: string, run: string }>
  'refused': CustomEvent<string>
  'flow:done': CustomEvent<{ ok: boolean }>
  /** A batch finished (sent only when someone listens). */
  'batch:done': CustomEvent<{ jobs: number, failed: number, busyMs: number }>
  /** Jobs recalled by the coordinator (their run ended) were dropped: how many. */
  'jobs:recalled': CustomEvent<number>
  'log': CustomEvent<string>
}

const globalTimers: LinkTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: timer => { clearTimeout(timer as ReturnType<typeof setTimeout>) }
}

export class CoordinatorLink extends TypedEventEmitter<CoordinatorLinkEvents> {
  readonly agent: WorkerAgent
  private readonly timers: LinkTimers
  private readonly choice: CoordinatorChoice
  /** Coordinators that failed to prove the join secret → when they may be tried again. */
  private readonly unproven = new Map<string, number>()
  private readonly retryMin: number
  private readonly retryMax: number
  private readonly retryFactor: number
  private retryMs: number
  private running = false
  private looking = false
  private current: string | undefined
  private currentId: PeerId | undefined
  private session: Promise<void> | undefined
  private controller = new AbortController()
  private retryTimer: unknown
  private pollTimer: unknown
  private forgetTimer: unknown

  constructor (private readonly components: CoordinatorLinkComponents, private readonly init: CoordinatorLinkInit) {
    super()
    this.timers = components.timers ?? globalTimers
    this.choice = new CoordinatorChoice(init)
    this.retryMin = init.retry?.minMs ?? DEFAULT_RETRY_MS
    this.retryMax = Math.max(this.retryMin, init.retry?.maxMs ?? (init.retry == null ? DEFAULT_RETRY_MS : Infinity))
    this.retryFactor = init.retry?.factor ?? 2
    this.retryMs = this.retryMin
    this.agent = new WorkerAgent({
      executor: components.executor,
      info: init.info,
      secret: init.secret,
      fetchModule: async hash => {
        const peer = this.currentId
        if (peer == null) throw new Error('no coordinator to fetch code from')
        return await components.fetchModule(hash, peer)
      },
      events: {
        welcome: (flow, run) => {
          this.retryMs = this.retryMin
          // joined: without a secret the welcome is what makes it ours (a dial that fails pins nothing)
          if (init.secret == null && this.current != null) this.choice.hold(this.current)
          this.safeDispatchEvent('welcome', { detail: { coordinator: this.current ?? '', flow, run } })
        },
        batchDone: (jobs, failed, busyMs) => {
          if (this.listenerCount('batch:done') > 0) this.safeDispatchEvent('batch:done', { detail: { jobs, failed, busyMs } })
        },
        flowDone: ok => { this.safeDispatchEvent('flow:done', { detail: { ok } }) },
        recalled: jobs => { this.safeDispatchEvent('jobs:recalled', { detail: jobs }) },
        refused: reason => { this.safeDispatchEvent('refused', { detail: reason }) },
        // with a secret, a coordinator is pinned only once it proved it (a decoy must not capture the pin)
        proven: peer => {
          this.choice.hold(peer)
          this.safeDispatchEvent('coordinator:proven', { detail: peer })
        },
        log: line => { this.safeDispatchEvent('log', { detail: line }) }
      }
    })
  }

  /** The coordinator's peer id while a session is opening or open. */
  get coordinator (): string | undefined {
    return this.current
  }

  /** Whether the link wants a session (between start() and leave()). */
  get active (): boolean {
    return this.running
  }

  /** Starts looking for a coordinator and keeps a session open with it until leave(). */
  start (): void {
    if (this.running) return
    this.running = true
    this.retryMs = this.retryMin
    if (this.controller.signal.aborted) this.controller = new AbortController()
    this.components.node.addEventListener('peer:identify', this.onIdentify)
    this.components.node.addEventListener('peer:disconnect', this.onDisconnect)
    const pollMs = this.init.pollMs ?? DEFAULT_RETRY_MS
    if (pollMs > 0) this.poll(pollMs)
    this.check()
  }

  /**
   * A graceful leave: stops looking, lets the agent finish the jobs it holds (up to `timeoutMs`), say bye and
   * close; resolves when the session has ended. start() again opens a new session.
   */
  async leave (timeoutMs?: number): Promise<void> {
    if (this.running) {
      this.running = false
      this.components.node.removeEventListener('peer:identify', this.onIdentify)
      this.components.node.removeEventListener('peer:disconnect', this.onDisconnect)
      this.timers.clearTimeout(this.retryTimer)
      this.timers.clearTimeout(this.pollTimer)
      this.timers.clearTimeout(this.forgetTimer)
      this.choice.pause()
    }
    const session = this.session
    if (session == null) return
    this.controller.abort() // a session still opening stops (the dial, or the wait before it)
    await this.agent.leave(timeoutMs) // an open one finishes its jobs and says bye
    await session
  }

  /**
   * Ends the current session gracefully (held jobs finish, bye) and opens a new one at once: the hello of the
   * new one says what `info` says now (the thread count changed).
   */
  async renew (timeoutMs?: number): Promise<void> {
    const session = this.session
    if (!this.running || session == null) return
    await this.agent.leave(timeoutMs)
    await session
    this.check()
  }

  private readonly onIdentify = (): void => { this.check() }
  private readonly onDisconnect = (): void => { this.check() }

  private poll (ms: number): void {
    this.pollTimer = this.timers.setTimeout(() => {
      if (!this.running) return
      this.check()
      this.poll(ms)
    }, ms)
  }

  private check (): void {
    if (!this.running) return
    this.watchHeld()
    if (this.session != null || this.looking) return
    this.looking = true
    this.findCoordinator().then(peer => {
      this.looking = false
      if (!this.running || this.session != null) return
      if (peer == null) {
        this.safeDispatchEvent('coordinator:none')
        return
      }
      this.session = this.runSession(peer).finally(() => {
        this.session = undefined
        if (this.running) {
          this.timers.clearTimeout(this.retryTimer)
          this.retryTimer = this.timers.setTimeout(() => { this.check() }, this.retryMs)
        }
      })
    }, () => { this.looking = false })
  }

  /** Forgets the joined coordinator once it has been gone long enough, and wakes up then to see. */
  private watchHeld (): void {
    const open = (peer: string): boolean => this.components.node.getConnections().some(c => c.status === 'open' && c.remotePeer.toString() === peer)
    const state = this.choice.observe(peer => this.current === peer || open(peer), this.timers.now())
    if (state.kind === 'gone') {
      this.timers.clearTimeout(this.forgetTimer)
      this.forgetTimer = this.timers.setTimeout(() => { this.check() }, state.forgetInMs)
    } else if (state.kind === 'forgotten') {
      this.safeDispatchEvent('coordinator:forgotten', { detail: { coordinator: state.coordinator, goneMs: state.goneMs } })
    }
  }

  /** A connected coordinator we trust that speaks the job protocol (identify has told us its protocols). */
  private async findCoordinator (): Promise<PeerId | undefined> {
    const { node } = this.components
    const now = this.timers.now()
    const connected = new Map<string, Connection>()
    for (const connection of node.getConnections()) {
      if (connection.status === 'open') connected.set(connection.remotePeer.toString(), connection)
    }
    for (const peer of this.choice.candidates([...connected.keys()])) {
      if ((this.unproven.get(peer) ?? 0) > now) continue
      const connection = connected.get(peer)!
      const peerId = connection.remotePeer
      let protocols: readonly string[] = []
      try {
        protocols = (await node.peerStore.get(peerId)).protocols
      } catch { /* not in the peer store yet */ }
      if (protocols.includes(JOB_PROTOCOL)) return peerId
      if (protocols.length === 0 && this.choice.isPinned(peer) && now - connection.timeline.open >= IDENTIFY_GRACE_MS) return peerId
    }
    return undefined
  }

  private async runSession (peerId: PeerId): Promise<void> {
    const peer = peerId.toString()
    const { node } = this.components
    const signal = this.controller.signal
    this.current = peer
    this.currentId = peerId
    try {
      this.safeDispatchEvent('session:opening', { detail: peer })
      let channel: FrameChannel<CoordinatorMessage, WorkerMessage>
      try {
        if (this.components.beforeSession != null) await untilAborted(this.components.beforeSession({ signal }), signal)
        if (!this.running) return
        const stream = await node.dialProtocol(peerId, JOB_PROTOCOL, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.init.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS)])
        })
        channel = new FrameChannel<CoordinatorMessage, WorkerMessage>(stream, { guard: isCoordinatorMessage, maxFrameBytes: MAX_JOB_FRAME_BYTES, traffic: this.init.traffic })
        if (!this.running) { // left while the stream was opening
          await channel.close()
          return
        }
      } catch (err) {
        if (!this.running) return
        this.backOff()
        this.choice.failed(peer)
        this.safeDispatchEvent('session:failed', { detail: { coordinator: peer, error: err instanceof Error ? err : new Error(String(err)) } })
        return
      }
      this.safeDispatchEvent('session:open', { detail: peer })
      // a join proof is bound to both peer ids of this Noise-authenticated connection
      const reason = await this.agent.attach(channel, { self: node.peerId.toString(), coordinator: peer })
      if (reason instanceof UntrustedCoordinatorError) {
        const holdOff = this.init.unprovenRetryMs ?? DEFAULT_UNPROVEN_RETRY_MS
        if (holdOff > 0) this.unproven.set(peer, this.timers.now() + holdOff)
        this.backOff()
        this.choice.failed(peer)
      }
      if (this.running) this.safeDispatchEvent('session:closed', { detail: { coordinator: peer, reason } })
    } finally {
      this.current = undefined
      this.currentId = undefined
    }
  }

  private backOff (): void {
    this.retryMs = Math.min(this.retryMs * this.retryFactor, this.retryMax)
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
async function untilAborted<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted()
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}
