/**
 * The coordinator's side of the job protocol (`/edge-grid/jobs/1.0.0`): one WorkerSession per worker stream,
 * the caps on job streams (per connection, per peer, in all), unique worker ids, the join proof, and waiting
 * for N workers. Protocol breaches are reported to `misbehaved` (network.ts strikes and bans).
 *
 * Every session takes its jobs from the coordinator's board (core/grid/run-board.ts) from the moment the
 * server starts: a worker that joins while no run is hosted is welcomed and simply gets no jobs until a run
 * is added; it stays joined across runs.
 */
import type { AbortOptions, Connection, Libp2p, Stream } from '@libp2p/interface'
import { WorkerSession } from '../../core/peer/worker-session.js'
import { FrameChannel } from '../../core/protocol/frame-channel.js'
import type { TrafficCounter } from '../../core/protocol/frame-channel.js'
import { isWorkerMessage, JOB_PROTOCOL, MAX_JOB_FRAME_BYTES } from '../../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerInfo, WorkerMessage } from '../../core/protocol/job-messages.js'
import type { JobBoard } from '../../core/grid/job-board.js'
import { emit } from './events.js'
import type { CoordinatorEventTarget } from './events.js'

/** At most this many job streams per worker connection (one is normal; more is a confused or hostile peer). */
const MAX_JOB_STREAMS_PER_CONNECTION = 2
/**
 * The same per peer over all its connections (a peer may connect over TCP and WebSockets at once): one
 * session is normal, a second covers a reconnect racing the old stream's close; more is a strike.
 */
const MAX_JOB_STREAMS_PER_PEER = 2
/** Job streams in all: beyond this, new workers are turned away. */
const MAX_JOB_STREAMS = 4096

export interface JobServerComponents {
  readonly registrar: Pick<Libp2p, 'handle' | 'unhandle'>
  /** This coordinator's peer id (a join proof is bound to it). */
  readonly peerId: string
  readonly events: CoordinatorEventTarget
  /** One strike against `peer`: network.ts disconnects and bans it at MAX_STRIKES. */
  readonly misbehaved: (peer: string, what: string) => void
  /** What every worker takes jobs from (the coordinator's RunBoard). */
  readonly board: JobBoard & { clustersOf: (worker: string) => readonly string[] }
  /** What a worker's welcome says it joined: the flows hosted (for people) and the board's id. */
  readonly welcome: () => WelcomeNames
}

export interface JobServerInit {
  /** A join secret workers must prove (core/protocol/join-proof.ts) before they get jobs. */
  readonly secret?: string
  /** Job streams in all (default MAX_JOB_STREAMS); the coordinator's --max-peers sets it. */
  readonly maxJobStreams?: number
}

/** The names a worker is told in the welcome. */
export interface WelcomeNames {
  /** For people: the flow (or flows) the worker joined. */
  readonly flow: string
  /** The board's id, one per coordinator life (side values by gossip are tagged with it). */
  readonly run: string
}

type JobChannel = FrameChannel<WorkerMessage, CoordinatorMessage>

export class JobServer {
  private readonly sessions = new Set<WorkerSession>()
  private readonly workers = new Map<string, WorkerInfo>()
  /** Job streams open per peer id (MAX_JOB_STREAMS_PER_PEER). */
  private readonly streamsOf = new Map<string, number>()
  private readonly waiters: Array<{ count: number, resolve: () => void }> = []
  /** Bytes of every job stream so far (for /metrics). */
  private readonly counter: TrafficCounter = { in: 0, out: 0 }

  constructor (private readonly components: JobServerComponents, private readonly init: JobServerInit = {}) {}

  async start (): Promise<void> {
    await this.components.registrar.handle(JOB_PROTOCOL, (stream: Stream, connection: Connection) => { this.accept(stream, connection) }, {
      maxInboundStreams: MAX_JOB_STREAMS_PER_CONNECTION,
      maxOutboundStreams: 1
    })
  }

  /** Bytes received and sent on job streams since the start. */
  get traffic (): Readonly<TrafficCounter> {
    return { ...this.counter }
  }

  /** Workers connected now (joined sessions). */
  get workerCount (): number {
    return this.workers.size
  }

  /** Resolves once `count` workers are connected at the same time; rejects when `options.signal` aborts. */
  async waitForWorkers (count: number, options: AbortOptions = {}): Promise<void> {
    if (this.workers.size >= count) return
    options.signal?.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const waiter = { count, resolve: () => { options.signal?.removeEventListener('abort', onAbort); resolve() } }
      const onAbort = (): void => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        reject(options.signal?.reason)
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(waiter)
    })
  }

  /** Tells every worker the flow ended (once; a one-shot coordinator): they stay connected until `stop`. */
  finish (ok: boolean): void {
    for (const session of this.sessions) session.finish(ok)
  }

  /** Closes every job stream (workers that were not told `finish` see a disconnect and re-dial). */
  async stop (): Promise<void> {
    await this.components.registrar.unhandle(JOB_PROTOCOL).catch(() => { /* the node is stopping */ })
    await Promise.allSettled([...this.sessions].map(async s => await s.close()))
  }

  private accept (stream: Stream, connection: Connection): void {
    if (this.sessions.size >= (this.init.maxJobStreams ?? MAX_JOB_STREAMS)) {
      stream.abort(new Error('too many workers'))
      return
    }
    const peer = connection.remotePeer.toString()
    const streams = this.streamsOf.get(peer) ?? 0
    if (streams >= MAX_JOB_STREAMS_PER_PEER) {
      stream.abort(new Error('too many job streams from this peer'))
      this.components.misbehaved(peer, `more than ${MAX_JOB_STREAMS_PER_PEER} job streams at once`)
      return
    }
    this.streamsOf.set(peer, streams + 1)
    const channel: JobChannel = new FrameChannel<WorkerMessage, CoordinatorMessage>(stream, { guard: isWorkerMessage, maxFrameBytes: MAX_JOB_FRAME_BYTES, traffic: this.counter })
    channel.onClose(() => {
      const left = (this.streamsOf.get(peer) ?? 1) - 1
      if (left > 0) this.streamsOf.set(peer, left)
      else this.streamsOf.delete(peer)
    })
    this.open(channel, peer)
  }

  private open (channel: JobChannel, peer: string): void {
    const { events, misbehaved, peerId, board } = this.components
    const auth = this.init.secret != null ? { secret: this.init.secret, workerPeer: peer, coordinatorPeer: peerId } : undefined
    const welcome = this.components.welcome()
    const session = new WorkerSession(board, channel, welcome.flow, welcome.run,
      info => this.uniqueId(`worker/${info.name}`),
      {
        joined: (id, info) => {
          this.workers.set(id, info)
          for (const w of this.waiters.filter(w => this.workers.size >= w.count)) {
            this.waiters.splice(this.waiters.indexOf(w), 1)
            w.resolve()
          }
          emit(events, 'worker:joined', { id, info, peer, clusters: board.clustersOf(id) })
        },
        left: (id, reason) => {
          this.workers.delete(id)
          emit(events, 'worker:left', { id, reason })
        },
        violation: reason => {
          emit(events, 'peer:misbehaved', { peer, kind: 'violation', reason })
          misbehaved(peer, 'broke the job protocol')
        },
        refused: (reason, breach) => {
          emit(events, 'peer:misbehaved', { peer, kind: 'refused', reason })
          if (breach) misbehaved(peer, 'was refused once too often')
        },
        worked: (id, jobs, busyMs) => { emit(events, 'worker:batch', { id, jobs, busyMs }) }
      }, auth)
    this.sessions.add(session)
    channel.onClose(() => { this.sessions.delete(session) })
  }

  /** Session ids name workers in reports and own their leases, so two workers never share one. */
  private uniqueId (base: string): string {
    if (!this.workers.has(base)) return base
    for (let n = 2; ; n++) if (!this.workers.has(`${base}#${n}`)) return `${base}#${n}`
  }
}
