/**
 * Keeps a grid-worker attached to a coordinator: when a trusted peer that speaks the job protocol is
 * connected (bootstrap peer ids or --coordinator; with mDNS and no pin, the first coordinator joined, which
 * is then the only one for the life of the process — with a join secret, the first that PROVED the secret,
 * so a decoy on the LAN cannot capture the pin), opens the job stream and runs a WorkerAgent session on it;
 * when the session ends, waits for the next connection (the re-dial loop in node-peer/net brings the
 * coordinator back after a restart). A coordinator that failed to prove the secret is not tried again for
 * UNPROVEN_RETRY_MS.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { UntrustedCoordinatorError, WorkerAgent } from '../core/worker/worker-agent.js'
import type { WorkerEvents } from '../core/worker/worker-agent.js'
import { FrameChannel } from '../core/protocol/frame-channel.js'
import { fetchCode } from '../core/protocol/code-fetch.js'
import { isSideGossip, SIDE_TOPIC } from '../core/protocol/side-gossip.js'
import { decodeValue } from '../core/codec.js'
import { isCoordinatorMessage, JOB_PROTOCOL, MAX_JOB_FRAME_BYTES } from '../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerInfo, WorkerMessage } from '../core/protocol/job-messages.js'
import type { JobExecutor } from '../core/jobs.js'
import type { GridNode } from './net/node.js'
import type { ModuleCache } from './module-cache.js'

/** How often the runner looks for a coordinator when it has none (events usually come first). */
const CHECK_MS = 500
/**
 * A coordinator that did not prove the join secret is left alone this long: it will not know it a second
 * later, and each try costs both sides a session and a log line (it may be restarted with the secret).
 */
export const UNPROVEN_RETRY_MS = 30_000

export interface WorkerRunnerInit {
  readonly node: GridNode
  readonly executor: JobExecutor
  readonly info: WorkerInfo
  /** Bootstrap multiaddrs: their peer ids are the coordinators this worker trusts. */
  readonly bootstrap: readonly string[]
  /**
   * Also accept a coordinator found on the LAN by mDNS: the pinned one, else the first joined (then pinned;
   * with a secret, the first that proves it).
   */
  readonly mdns: boolean
  /** Peer id of the only coordinator to take jobs from (besides the bootstrap peers). */
  readonly coordinator?: string
  /** The join secret: the coordinator must prove it, then the worker proves it (core/protocol/join-proof.ts). */
  readonly secret?: string
  readonly cache?: ModuleCache
  readonly events?: WorkerEvents & {
    attached?: (peer: string) => void
    /** `reason` is an UntrustedCoordinatorError when this worker left because the coordinator did not prove the secret. */
    detached?: (peer: string, reason?: Error) => void
    /** A side input value arrived by gossip (newer than the one held). */
    sideValue?: (name: string, version: number, path: 'gossip') => void
  }
}

export class WorkerRunner {
  readonly agent: WorkerAgent
  private readonly trusted: Set<string>
  private current: string | undefined
  private checking = false
  private stopped = false
  private timer: ReturnType<typeof setInterval> | undefined
  /** Coordinators that failed to prove the join secret → when they may be tried again. */
  private readonly unproven = new Map<string, number>()

  constructor (private readonly init: WorkerRunnerInit) {
    this.trusted = new Set(init.bootstrap.map(a => multiaddr(a).getComponents().findLast(c => c.name === 'p2p')?.value).filter((v): v is string => v != null))
    if (init.coordinator != null) this.trusted.add(init.coordinator)
    this.agent = new WorkerAgent({
      executor: init.executor,
      info: init.info,
      secret: init.secret,
      fetchModule: async hash => await this.fetchModule(hash),
      events: {
        ...init.events,
        // with a secret, a coordinator is pinned only once it proved it (a decoy must not capture the pin)
        proven: peer => {
          this.trusted.add(peer)
          init.events?.proven?.(peer)
        }
      }
    })
  }

  /** The coordinator's peer id while attached. */
  get coordinator (): string | undefined {
    return this.current
  }

  start (): void {
    this.init.node.addEventListener('peer:identify', () => { this.check() })
    // side input values by gossip, from the coordinator we work for (the job stream carries them as well)
    const pubsub = this.init.node.services.pubsub
    pubsub.subscribe(SIDE_TOPIC)
    pubsub.addEventListener('message', evt => {
      if (evt.detail.topic !== SIDE_TOPIC || evt.detail.type !== 'signed' || evt.detail.from.toString() !== this.current) return
      try {
        const message = decodeValue(evt.detail.data)
        if (isSideGossip(message) && this.agent.offerSide(message.run, message.name, message.version, message.value)) {
          this.init.events?.sideValue?.(message.name, message.version, 'gossip')
        }
      } catch { /* gossip is best effort */ }
    })
    this.timer = setInterval(() => { this.check() }, CHECK_MS)
    this.check()
  }

  /** Graceful leave: finish held jobs, say bye. */
  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer != null) clearInterval(this.timer)
    await this.agent.leave()
  }

  private check (): void {
    if (this.stopped || this.current != null || this.checking) return
    this.checking = true
    this.findCoordinator().then(peerId => {
      this.checking = false
      if (peerId != null && !this.stopped && this.current == null) void this.attach(peerId)
    }, () => { this.checking = false })
  }

  /** A connected peer we trust that speaks the job protocol (identify has told us its protocols). */
  private async findCoordinator (): Promise<PeerId | undefined> {
    for (const connection of this.init.node.getConnections()) {
      const peerId = connection.remotePeer
      const peer = peerId.toString()
      // mDNS with nothing pinned: any coordinator until the first one is joined (attach pins it; with a
      // secret, its proof does)
      if (!this.trusted.has(peer) && !(this.init.mdns && this.trusted.size === 0)) continue
      if ((this.unproven.get(peer) ?? 0) > Date.now()) continue
      try {
        if ((await this.init.node.peerStore.get(peerId)).protocols.includes(JOB_PROTOCOL)) return peerId
      } catch { /* not in the peer store yet */ }
    }
    return undefined
  }

  private async attach (peerId: PeerId): Promise<void> {
    const peer = peerId.toString()
    this.current = peer
    if (this.init.secret == null) this.trusted.add(peer)
    try {
      const stream = await this.init.node.dialProtocol(peerId, JOB_PROTOCOL)
      const channel = new FrameChannel<CoordinatorMessage, WorkerMessage>(stream, { guard: isCoordinatorMessage, maxFrameBytes: MAX_JOB_FRAME_BYTES })
      this.init.events?.attached?.(peer)
      // a join proof is bound to both peer ids of this Noise-authenticated connection
      const reason = await this.agent.attach(channel, { self: this.init.node.peerId.toString(), coordinator: peer })
      if (reason instanceof UntrustedCoordinatorError) this.unproven.set(peer, Date.now() + UNPROVEN_RETRY_MS)
      if (!this.stopped) this.init.events?.detached?.(peer, reason) // leaving by our own choice is not "gone"
    } catch (err) {
      this.init.events?.log?.(`could not open the job stream to …${peer.slice(-8)}: ${(err as Error).message}`)
    } finally {
      this.current = undefined
    }
    if (!this.stopped) setTimeout(() => { this.check() }, CHECK_MS).unref()
  }

  private async fetchModule (hash: string): Promise<Uint8Array> {
    const cached = await this.init.cache?.get(hash)
    if (cached != null) return cached
    const peer = this.current
    if (peer == null) throw new Error('no coordinator to fetch code from')
    const bytes = await fetchCode(this.init.node, peerIdFromString(peer), hash)
    await this.init.cache?.put(hash, bytes).catch(() => { /* a cache that cannot be written is not fatal */ })
    return bytes
  }
}
