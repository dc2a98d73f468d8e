/**
 * The coordinator as a libp2p peer: a persistent identity, strikes and bans (a gater refuses banned peers),
 * the code server (modules by sha256), and the two protocol sides built on the node: the job server
 * (job-server.ts, serving the coordinator's board) and gossip (gossip.ts). It lives as long as the
 * coordinator; each hosted run adds its modules and announcement (`host`) and takes them back (`unhost`).
 */
import '../net/polyfill.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { AbortOptions } from '@libp2p/interface'
import { PeerStrikes } from '../../core/peer/peer-limits.js'
import { serveCode } from '../../core/protocol/code-fetch.js'
import { loadOrCreateIdentity } from '../net/identity.js'
import { coordinatorConnectionManager, DEFAULT_COORDINATOR_LIMITS } from '../net/limits.js'
import type { CoordinatorLimits } from '../net/limits.js'
import { createGridNode } from '../net/node.js'
import type { GridNode } from '../net/node.js'
import { CoordinatorAdmission } from './admission.js'
import { emit } from './events.js'
import type { CoordinatorEventTarget } from './events.js'
import { CoordinatorGossip } from './gossip.js'
import type { AnnouncedRun } from './gossip.js'
import { JobServer } from './job-server.js'
import type { JobServerComponents } from './job-server.js'
import type { RunBoard } from '../../core/grid/run-board.js'

export interface CoordinatorNetworkInit {
  readonly identityPath: string
  readonly listen: readonly string[]
  readonly mdns: boolean
  /** Optional join secret workers must prove (core/protocol/join-proof.ts) before they get jobs. */
  readonly secret?: string
  /** Connection limits (--max-peers, --join-rate); default DEFAULT_COORDINATOR_LIMITS. */
  readonly limits?: CoordinatorLimits
}

export interface CoordinatorNetworkComponents {
  /** Where joins, leaves and misbehaving peers are reported. */
  readonly events: CoordinatorEventTarget
  /** What workers take jobs from, and whose side values are gossiped. */
  readonly board: Pick<RunBoard, keyof JobServerComponents['board'] | 'onSide'>
  /** The board's id (the welcome's `run`, the tag of gossiped side values). */
  readonly boardId: string
  /** For people: what a worker joining now is told it joined. */
  readonly welcomeFlow: () => string
}

export class CoordinatorNetwork {
  readonly jobs: JobServer
  readonly gossip: CoordinatorGossip
  /** What the code server hands out: module bytes by content hash, of the runs hosted now. */
  private readonly modules = new Map<string, Uint8Array>()
  /** The hosted runs (by run id) using each module: a module goes when its last run does. */
  private readonly moduleRuns = new Map<string, Set<string>>()
  private stopServingCode: (() => Promise<void>) | undefined

  private constructor (readonly node: GridNode, private readonly init: CoordinatorNetworkInit, private readonly strikes: PeerStrikes, private readonly components: CoordinatorNetworkComponents, private readonly admission: CoordinatorAdmission) {
    const misbehaved = (peer: string, what: string): void => { this.misbehaved(peer, what) }
    const { events, board, boardId } = components
    const welcome = (): { flow: string, run: string } => ({ flow: components.welcomeFlow(), run: boardId })
    const limits = init.limits ?? DEFAULT_COORDINATOR_LIMITS
    this.jobs = new JobServer({ registrar: node, peerId: node.peerId.toString(), events, misbehaved, board, welcome }, { secret: init.secret, maxJobStreams: 2 * limits.maxPeers })
    this.gossip = new CoordinatorGossip({
      pubsub: node.services.pubsub,
      misbehaved,
      workerCount: () => this.jobs.workerCount,
      sides: board,
      boardId,
      heartbeat: (peer, { name, jobsDone, busyMs, state }) => { emit(events, 'worker:heartbeat', { peer, name, jobsDone, busyMs, state }) }
    })
  }

  static async start (init: CoordinatorNetworkInit, components: CoordinatorNetworkComponents): Promise<CoordinatorNetwork> {
    const privateKey = await loadOrCreateIdentity(init.identityPath)
    // WebRTC-Direct only when asked for by a listen address: it loads a native module (node-datachannel)
    const webrtcDirect = init.listen.some(a => a.includes('/webrtc-direct'))
    // peers that broke the protocol MAX_STRIKES times are refused by libp2p itself for the cooldown
    const strikes = new PeerStrikes()
    const limits = init.limits ?? DEFAULT_COORDINATOR_LIMITS
    // new connections per host, before the handshake: a budget that grows with the host's joined workers
    const admission = new CoordinatorAdmission(limits.joinRate)
    const connectionGater = {
      denyInboundConnection: admission.denyInboundConnection,
      denyInboundEncryptedConnection: (peer: { toString: () => string }) => strikes.isBanned(peer.toString()),
      denyDialPeer: (peer: { toString: () => string }) => strikes.isBanned(peer.toString())
    }
    const node = await createGridNode({ privateKey, listen: init.listen, mdns: init.mdns, relayServer: true, webrtcDirect, connectionGater, connectionManager: coordinatorConnectionManager(limits) })
    admission.attach(node, components.events)
    const network = new CoordinatorNetwork(node, init, strikes, components, admission)
    try {
      network.stopServingCode = await serveCode(node, hash => network.modules.get(hash))
      await network.jobs.start()
      network.gossip.start()
    } catch (err) {
      admission.stop()
      await node.stop()
      throw err
    }
    return network
  }

  /** Serves `run`'s modules and announces it from now on (its jobs come from the board). */
  host (run: Omit<AnnouncedRun, 'modules'>, modules: ReadonlyMap<string, Uint8Array>): void {
    for (const [hash, bytes] of modules) {
      this.modules.set(hash, bytes)
      let runs = this.moduleRuns.get(hash)
      if (runs == null) this.moduleRuns.set(hash, runs = new Set())
      runs.add(run.runId)
    }
    this.gossip.host({ ...run, modules: [...modules.keys()] })
  }

  /** The run ended: no more announcements, and its modules go unless another hosted run uses them. */
  unhost (runId: string): void {
    this.gossip.unhost(runId)
    for (const [hash, runs] of this.moduleRuns) {
      if (!runs.delete(runId) || runs.size > 0) continue
      this.moduleRuns.delete(hash)
      this.modules.delete(hash)
    }
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

  /** The best address for a volunteer to reach us over TCP (a LAN one before loopback). */
  joinAddress (): string {
    const tcp = this.addresses().filter(a => a.includes('/tcp/') && !a.includes('/ws'))
    return tcp.find(a => !a.startsWith('/ip4/127.') && !a.startsWith('/ip6/::1')) ?? tcp[0] ?? this.addresses()[0]
  }

  /** The command a volunteer types. */
  joinCommand (): string {
    return `npx --no-install grid-worker --bootstrap ${this.joinAddress()}`
  }

  /** Tells every worker the flow ended (once; one-shot coordinators): they stay connected until `stop`. */
  finish (ok: boolean): void {
    this.jobs.finish(ok)
  }

  /** Closes the job streams and stops the node (workers not told `finish` re-dial, as after a crash). */
  async stop (): Promise<void> {
    this.gossip.stop()
    await this.jobs.stop()
    await this.stopServingCode?.()
    this.admission.stop()
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
