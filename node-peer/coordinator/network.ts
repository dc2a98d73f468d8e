/**
 * The coordinator as a libp2p peer: a persistent identity, strikes and bans (a gater refuses banned peers),
 * the code server (modules by sha256), and the two protocol sides built on the node: the job server
 * (job-server.ts) and gossip (gossip.ts). It lives as long as the coordinator; runs are attached to it.
 */
import '../net/polyfill.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { AbortOptions } from '@libp2p/interface'
import { PeerStrikes } from '../../core/peer/peer-limits.js'
import { serveCode } from '../../core/protocol/code-fetch.js'
import { loadOrCreateIdentity } from '../net/identity.js'
import { createGridNode } from '../net/node.js'
import type { GridNode } from '../net/node.js'
import { emit } from './events.js'
import type { CoordinatorEventTarget } from './events.js'
import { CoordinatorGossip } from './gossip.js'
import { JobServer } from './job-server.js'
import type { ServedRun } from './job-server.js'

export interface CoordinatorNetworkInit {
  readonly identityPath: string
  readonly listen: readonly string[]
  readonly mdns: boolean
  /** Optional join secret workers must prove (core/protocol/join-proof.ts) before they get jobs. */
  readonly secret?: string
}

export interface CoordinatorNetworkComponents {
  /** Where joins, leaves and misbehaving peers are reported. */
  readonly events: CoordinatorEventTarget
}

export class CoordinatorNetwork {
  readonly jobs: JobServer
  readonly gossip: CoordinatorGossip
  /** What the code server hands out: module bytes by content hash, of every run attached so far. */
  private readonly modules = new Map<string, Uint8Array>()
  private stopServingCode: (() => Promise<void>) | undefined

  private constructor (readonly node: GridNode, private readonly init: CoordinatorNetworkInit, private readonly strikes: PeerStrikes, private readonly components: CoordinatorNetworkComponents) {
    const misbehaved = (peer: string, what: string): void => { this.misbehaved(peer, what) }
    this.jobs = new JobServer({ registrar: node, peerId: node.peerId.toString(), events: components.events, misbehaved }, { secret: init.secret })
    this.gossip = new CoordinatorGossip({
      pubsub: node.services.pubsub,
      misbehaved,
      workerCount: () => this.jobs.workerCount,
      heartbeat: (peer, { name, jobsDone, busyMs, state }) => { emit(components.events, 'worker:heartbeat', { peer, name, jobsDone, busyMs, state }) }
    })
  }

  static async start (init: CoordinatorNetworkInit, components: CoordinatorNetworkComponents): Promise<CoordinatorNetwork> {
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
    const network = new CoordinatorNetwork(node, init, strikes, components)
    try {
      network.stopServingCode = await serveCode(node, hash => network.modules.get(hash))
      await network.jobs.start()
      network.gossip.start()
    } catch (err) {
      await node.stop()
      throw err
    }
    return network
  }

  /** Serves `run`'s jobs and modules, and announces it, from now on. */
  attach (run: ServedRun, modules: ReadonlyMap<string, Uint8Array>): void {
    for (const [hash, bytes] of modules) this.modules.set(hash, bytes)
    this.gossip.attach({ ...run, modules: [...modules.keys()] })
    this.jobs.attach(run)
  }

  /** Workers connected now. */
  get workerCount (): number {
    return this.jobs.workerCount
  }

  /** Bytes received and sent on job streams so far. */
  get traffic (): { readonly in: number, readonly out: number } {
    return this.jobs.traffic
  }

  /** Every peer that announced itself as a worker over gossipsub. */
  get peersSeen (): number {
    return this.gossip.peersSeen
  }

  /** Resolves once `count` workers are connected at the same time. */
  async waitForWorkers (count: number, options?: AbortOptions): Promise<void> {
    await this.jobs.waitForWorkers(count, options)
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

  /** Tells every worker the run ended (once); they stay connected until `stop`. */
  finish (ok: boolean): void {
    this.jobs.finish(ok)
  }

  /** Closes the job streams and stops the node (workers not told `finish` re-dial, as after a crash). */
  async stop (): Promise<void> {
    this.gossip.stop()
    await this.jobs.stop()
    await this.stopServingCode?.()
    await this.node.stop()
  }

  /** One strike for `peer` (a client that broke the submit protocol, …). */
  strike (peer: string, what: string): void {
    this.misbehaved(peer, what)
  }

  /** One strike for `peer`; at MAX_STRIKES it is disconnected and the gater refuses it for the cooldown. */
  private misbehaved (peer: string, what: string): void {
    if (!this.strikes.strike(peer)) return
    emit(this.components.events, 'peer:misbehaved', { peer, kind: 'banned', reason: what })
    this.node.hangUp(peerIdFromString(peer)).catch(() => { /* already gone */ })
  }
}
