/**
 * The coordinator as a libp2p peer: a persistent identity, the job protocol (one WorkerSession per worker
 * stream), the code server (modules by sha256), flow announcements over gossipsub, and the join command.
 */
import './net/polyfill.js'
import type { Connection, Stream } from '@libp2p/interface'
import { decodeValue, encodeValue } from '../core/codec.js'
import { WorkerSession } from '../core/peer/worker-session.js'
import { MAX_GOSSIP_PER_SECOND, PeerStrikes, PerSecondLimit } from '../core/peer/peer-limits.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { ANNOUNCE_TOPIC, COORDINATOR_ANNOUNCE_MS, isAnnouncement } from '../core/protocol/announce.js'
import { FrameChannel as MessageChannel } from '../core/protocol/frame-channel.js' // renamed (shadowed the DOM global): say FrameChannel when this file is next edited
import { serveCode } from '../core/protocol/code-fetch.js'
import { MAX_GOSSIP_SIDE_BYTES, SIDE_TOPIC } from '../core/protocol/side-gossip.js'
import { isWorkerMessage, JOB_PROTOCOL, MAX_JOB_FRAME_BYTES } from '../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerInfo, WorkerMessage } from '../core/protocol/job-messages.js'
import type { FlowRun } from '../core/run/flow-run.js'
import { loadOrCreateIdentity } from './net/identity.js'
import { createGridNode } from './net/node.js'
import type { GridNode } from './net/node.js'

/** At most this many job streams per worker connection (one is normal; more is a confused or hostile peer). */
const MAX_JOB_STREAMS_PER_CONNECTION = 2
/**
 * The same per peer over all its connections (a peer may connect over TCP and WebSockets at once): one
 * session is normal, a second covers a reconnect racing the old stream's close; more is a strike.
 */
const MAX_JOB_STREAMS_PER_PEER = 2
const MAX_JOB_STREAMS = 4096

export interface CoordinatorNetworkInit {
  readonly identityPath: string
  readonly listen: readonly string[]
  readonly mdns: boolean
  readonly flowName: string
  readonly runId: string
  readonly run: FlowRun
  /** Module bytes by content hash: what the code server hands out. */
  readonly modules: ReadonlyMap<string, Uint8Array>
  readonly log: (line: string) => void
  /** Optional join secret workers must prove (core/protocol/join-proof.ts) before they get jobs. */
  readonly secret?: string
}

export class CoordinatorNetwork {
  private readonly sessions = new Set<WorkerSession>()
  private readonly workers = new Map<string, WorkerInfo>()
  private announceTimer: ReturnType<typeof setInterval> | undefined
  private stopServingCode: (() => Promise<void>) | undefined
  private readonly seen = new Set<string>()
  private readonly waiters: Array<{ count: number, resolve: () => void }> = []
  /** Job streams open per peer id (MAX_JOB_STREAMS_PER_PEER). */
  private readonly streamsOf = new Map<string, number>()
  private readonly gossipLimit = new PerSecondLimit(MAX_GOSSIP_PER_SECOND)

  private constructor (readonly node: GridNode, private readonly init: CoordinatorNetworkInit, private readonly strikes: PeerStrikes) {}

  static async start (init: CoordinatorNetworkInit): Promise<CoordinatorNetwork> {
    const privateKey = await loadOrCreateIdentity(init.identityPath)
    // WebRTC-Direct only when asked for by a listen address: it loads a native module (node-datachannel)
    const webrtcDirect = init.listen.some(a => a.includes('/webrtc-direct'))
    // peers that broke the protocol MAX_STRIKES times are refused by libp2p itself for the cooldown
    const strikes = new PeerStrikes()
    const connectionGater = {
      denyInboundEncryptedConnection: (peer: { toString: () => string }) => strikes.isBanned(peer.toString()),
      denyDialPeer: (peer: { toString: () => string }) => strikes.isBanned(peer.toString())
    }
    const node = await createGridNode({ privateKey, listen: init.listen, mdns: init.mdns, relayServer: true, webrtcDirect, connectionGater })
    const network = new CoordinatorNetwork(node, init, strikes)
    await network.serve()
    return network
  }

  /** Workers connected now, by session id. */
  get workerCount (): number {
    return this.workers.size
  }

  /** Every peer that announced itself as a worker over gossipsub. */
  get peersSeen (): number {
    return this.seen.size
  }

  /** Resolves once `count` workers are connected at the same time. */
  async waitForWorkers (count: number): Promise<void> {
    if (this.workers.size >= count) return
    await new Promise<void>(resolve => this.waiters.push({ count, resolve }))
  }

  /** The listen addresses as configured (e.g. 0.0.0.0), before expansion to interface addresses. */
  listenAddresses (): string[] {
    return [...this.init.listen]
  }

  addresses (): string[] {
    return this.node.getMultiaddrs().map(a => a.toString())
  }

  /** The command a volunteer types, using the best address to reach us over TCP. */
  joinCommand (): string {
    const tcp = this.addresses().filter(a => a.includes('/tcp/') && !a.includes('/ws'))
    const pick = tcp.find(a => !a.startsWith('/ip4/127.') && !a.startsWith('/ip6/::1')) ?? tcp[0] ?? this.addresses()[0]
    return `npx --no-install grid-worker --bootstrap ${pick}`
  }

  /** Tells every worker the flow ended, flushes, and stops the node. */
  /** Tells every worker the flow ended (once); they stay connected until `stop`. */
  finish (ok: boolean): void {
    for (const session of this.sessions) session.finish(ok)
  }

  async stop (ok: boolean): Promise<void> {
    if (this.announceTimer != null) clearInterval(this.announceTimer)
    this.finish(ok)
    await Promise.allSettled([...this.sessions].map(async s => await s.close()))
    await this.stopServingCode?.()
    await this.node.stop()
  }

  private async serve (): Promise<void> {
    const { node, init } = this
    this.stopServingCode = await serveCode(node, hash => init.modules.get(hash))
    await node.handle(JOB_PROTOCOL, (stream: Stream, connection: Connection) => { this.accept(stream, connection) }, {
      maxInboundStreams: MAX_JOB_STREAMS_PER_CONNECTION,
      maxOutboundStreams: 1
    })
    const pubsub = node.services.pubsub
    pubsub.subscribe(ANNOUNCE_TOPIC)
    pubsub.addEventListener('message', evt => {
      if (evt.detail.type === 'signed') {
        const from = evt.detail.from.toString()
        const verdict = this.gossipLimit.take(from)
        if (verdict === 'first-over') this.misbehaved(from, `more than ${MAX_GOSSIP_PER_SECOND} gossip messages in a second`)
        if (verdict !== 'ok') return
      }
      if (evt.detail.topic !== ANNOUNCE_TOPIC) return
      try {
        const message = decodeValue(evt.detail.data)
        if (isAnnouncement(message) && message.t === 'worker' && evt.detail.type === 'signed') this.seen.add(evt.detail.from.toString())
      } catch { /* gossip is best effort: ignore what does not decode */ }
    })
    // side input values: gossip is the fast path to every worker; job streams carry them too (catch-up)
    pubsub.subscribe(SIDE_TOPIC)
    init.run.onSide((name, value) => {
      if (value.bytes.length > MAX_GOSSIP_SIDE_BYTES) return
      const message = encodeValue({ t: 'side', run: init.runId, name, version: value.version, value: value.bytes })
      pubsub.publish(SIDE_TOPIC, message).catch(() => { /* nobody subscribed yet: the job streams carry it */ })
    })
    this.announceTimer = setInterval(() => { this.announce() }, COORDINATOR_ANNOUNCE_MS)
    this.announceTimer.unref()
  }

  private accept (stream: Stream, connection: Connection): void {
    if (this.sessions.size >= MAX_JOB_STREAMS) {
      stream.abort(new Error('too many workers'))
      return
    }
    const peer = connection.remotePeer.toString()
    const streams = this.streamsOf.get(peer) ?? 0
    if (streams >= MAX_JOB_STREAMS_PER_PEER) {
      stream.abort(new Error('too many job streams from this peer'))
      this.misbehaved(peer, `more than ${MAX_JOB_STREAMS_PER_PEER} job streams at once`)
      return
    }
    this.streamsOf.set(peer, streams + 1)
    const auth = this.init.secret != null ? { secret: this.init.secret, workerPeer: peer, coordinatorPeer: this.node.peerId.toString() } : undefined
    const channel = new MessageChannel<WorkerMessage, CoordinatorMessage>(stream, { guard: isWorkerMessage, maxFrameBytes: MAX_JOB_FRAME_BYTES })
    const session = new WorkerSession(this.init.run, channel, this.init.flowName, this.init.runId,
      info => this.uniqueId(`worker/${info.name}`),
      {
        joined: (id, info) => {
          this.workers.set(id, info)
          for (const w of this.waiters.filter(w => this.workers.size >= w.count)) {
            this.waiters.splice(this.waiters.indexOf(w), 1)
            w.resolve()
          }
          const clusters = Object.entries(this.init.run.state.membership.snapshot()).filter(([, c]) => c.members.includes(id)).map(([name]) => name)
          const member = clusters.length > 0 ? `, member of ${clusters.join(', ')}` : ''
          this.init.log(`+ ${id} joined (${info.threads} thread${info.threads === 1 ? '' : 's'}, ${info.platform}${info.labels.length > 0 ? `, labels ${info.labels.join(',')}` : ''}, peer …${peer.slice(-8)}${member})`)
        },
        left: (id, reason) => {
          this.workers.delete(id)
          this.init.log(`- ${id} ${reason}`)
        },
        violation: reason => {
          this.init.log(`! closed a job stream from peer …${peer.slice(-8)}: ${reason}`)
          this.misbehaved(peer, 'broke the job protocol')
        },
        refused: (reason, breach) => {
          this.init.log(`! refused peer …${peer.slice(-8)}: ${reason}`)
          if (breach) this.misbehaved(peer, 'was refused once too often')
        }
      }, auth)
    this.sessions.add(session)
    channel.onClose(() => {
      this.sessions.delete(session)
      const left = (this.streamsOf.get(peer) ?? 1) - 1
      if (left > 0) this.streamsOf.set(peer, left)
      else this.streamsOf.delete(peer)
    })
  }

  /** One strike for `peer`; at MAX_STRIKES it is disconnected and the gater refuses it for the cooldown. */
  private misbehaved (peer: string, what: string): void {
    if (!this.strikes.strike(peer)) return
    this.init.log(`! peer …${peer.slice(-8)} ${what}: disconnected and refused for a while`)
    this.node.hangUp(peerIdFromString(peer)).catch(() => { /* already gone */ })
  }

  /** Session ids name workers in reports and own their leases, so two workers never share one. */
  private uniqueId (base: string): string {
    if (!this.workers.has(base)) return base
    for (let n = 2; ; n++) if (!this.workers.has(`${base}#${n}`)) return `${base}#${n}`
  }

  private announce (): void {
    const progress = this.init.run.progress()
    const message = encodeValue({
      t: 'flow',
      flow: this.init.flowName,
      run: this.init.runId,
      modules: [...this.init.modules.keys()],
      jobsDone: progress.jobsDone,
      jobsQueued: progress.queued,
      workers: this.workers.size
    })
    this.node.services.pubsub.publish(ANNOUNCE_TOPIC, message).catch(() => { /* nobody listening yet */ })
  }
}
