/**
 * Keeps a grid-worker attached to a coordinator: the worker side's link (core/worker/coordinator-link.ts)
 * over this process's libp2p node, with grid-worker's rules: the trusted coordinators are the bootstrap
 * peer ids and --coordinator (with mDNS and no pin, the first coordinator joined, or with a join secret the
 * first that PROVED it); the job stream is looked for every CHECK_MS while there is none; a coordinator that
 * failed to prove the secret is not tried again for UNPROVEN_RETRY_MS. The re-dial loop in node-peer/net
 * (or mDNS) brings the coordinator back after a restart; a coordinator found by mDNS without --coordinator
 * that stays gone for `forgetAfterMs` is forgotten, and the next one that qualifies is joined. Adds what only a Node worker does: modules cached on disk,
 * side input values by gossip.
 */
import type { PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { CoordinatorLink, DEFAULT_FORGET_AFTER_MS, DEFAULT_UNPROVEN_RETRY_MS } from '../core/worker/coordinator-link.js'
import type { WorkerAgent, WorkerEvents } from '../core/worker/worker-agent.js'
import { fetchCode } from '../core/protocol/code-fetch.js'
import { isSideGossip, SIDE_TOPIC } from '../core/protocol/side-gossip.js'
import { decodeValue } from '../core/codec.js'
import type { WorkerInfo } from '../core/protocol/job-messages.js'
import type { TrafficCounter } from '../core/protocol/frame-channel.js'
import type { JobExecutor } from '../core/jobs.js'
import type { GridNode } from './net/node.js'
import type { ModuleCache } from './module-cache.js'

/** How often the runner looks for a coordinator when it has none, and waits after a session (events usually come first). */
const CHECK_MS = 500
/** A coordinator that did not prove the join secret is left alone this long (see CoordinatorLinkInit). */
export const UNPROVEN_RETRY_MS = DEFAULT_UNPROVEN_RETRY_MS
/** How long a coordinator found by mDNS may be gone before the worker looks for another (see CoordinatorLinkInit). */
export const FORGET_AFTER_MS = DEFAULT_FORGET_AFTER_MS

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
  /** Longest wait for the job stream to open (default: the link's, 10 s). */
  readonly dialTimeoutMs?: number
  /** Adds the job streams' bytes in and out. */
  readonly traffic?: TrafficCounter
  /**
   * With mDNS and nothing pinned: how long the coordinator joined may be gone before it is forgotten and the
   * next one found is joined (default FORGET_AFTER_MS). Bootstrap and --coordinator peers are never forgotten.
   */
  readonly forgetAfterMs?: number
  readonly events?: WorkerEvents & {
    attached?: (peer: string) => void
    /** `reason` is an UntrustedCoordinatorError when this worker left because the coordinator did not prove the secret. */
    detached?: (peer: string, reason?: Error) => void
    /** The coordinator found by mDNS was gone `goneMs`: forgotten, the worker looks for the next one. */
    forgotten?: (peer: string, goneMs: number) => void
    /** A side input value arrived by gossip (newer than the one held). */
    sideValue?: (name: string, version: number, path: 'gossip') => void
  }
}

export class WorkerRunner {
  readonly link: CoordinatorLink

  constructor (private readonly init: WorkerRunnerInit) {
    const coordinators = init.bootstrap.map(a => multiaddr(a).getComponents().findLast(c => c.name === 'p2p')?.value).filter((v): v is string => v != null)
    if (init.coordinator != null) coordinators.push(init.coordinator)
    this.link = new CoordinatorLink({
      node: init.node,
      executor: init.executor,
      fetchModule: async (hash, coordinator) => await this.fetchModule(hash, coordinator)
    }, {
      info: init.info,
      coordinators,
      acceptFirst: init.mdns,
      secret: init.secret,
      dialTimeoutMs: init.dialTimeoutMs,
      retry: { minMs: CHECK_MS, maxMs: CHECK_MS },
      unprovenRetryMs: UNPROVEN_RETRY_MS,
      pollMs: CHECK_MS,
      traffic: init.traffic,
      forgetAfterMs: init.forgetAfterMs ?? FORGET_AFTER_MS
    })
    const events = init.events
    if (events == null) return
    const link = this.link
    link.addEventListener('session:open', evt => { events.attached?.(evt.detail) })
    link.addEventListener('session:closed', evt => { events.detached?.(evt.detail.coordinator, evt.detail.reason) })
    link.addEventListener('session:failed', evt => { events.log?.(`could not open the job stream to …${evt.detail.coordinator.slice(-8)}: ${evt.detail.error.message}`) })
    link.addEventListener('coordinator:proven', evt => { events.proven?.(evt.detail) })
    link.addEventListener('coordinator:forgotten', evt => { events.forgotten?.(evt.detail.coordinator, evt.detail.goneMs) })
    link.addEventListener('welcome', evt => { events.welcome?.(evt.detail.flow, evt.detail.run) })
    link.addEventListener('flow:done', evt => { events.flowDone?.(evt.detail.ok) })
    link.addEventListener('refused', evt => { events.refused?.(evt.detail) })
    link.addEventListener('jobs:recalled', evt => { events.recalled?.(evt.detail) })
    link.addEventListener('log', evt => { events.log?.(evt.detail) })
    if (events.batchDone != null) {
      const batchDone = events.batchDone
      link.addEventListener('batch:done', evt => { batchDone(evt.detail.jobs, evt.detail.failed, evt.detail.busyMs) })
    }
  }

  get agent (): WorkerAgent {
    return this.link.agent
  }

  /** The coordinator's peer id while attached. */
  get coordinator (): string | undefined {
    return this.link.coordinator
  }

  start (): void {
    // side input values by gossip, from the coordinator we work for (the job stream carries them as well)
    const pubsub = this.init.node.services.pubsub
    pubsub.subscribe(SIDE_TOPIC)
    pubsub.addEventListener('message', evt => {
      if (evt.detail.topic !== SIDE_TOPIC || evt.detail.type !== 'signed' || evt.detail.from.toString() !== this.link.coordinator) return
      try {
        const message = decodeValue(evt.detail.data)
        if (isSideGossip(message) && this.agent.offerSide(message.run, message.name, message.version, message.value)) {
          this.init.events?.sideValue?.(message.name, message.version, 'gossip')
        }
      } catch { /* gossip is best effort */ }
    })
    this.link.start()
  }

  /** Graceful leave: finish held jobs, say bye. */
  async stop (): Promise<void> {
    await this.link.leave()
  }

  private async fetchModule (hash: string, coordinator: PeerId): Promise<Uint8Array> {
    const cached = await this.init.cache?.get(hash)
    if (cached != null) return cached
    const bytes = await fetchCode(this.init.node, coordinator, hash)
    await this.init.cache?.put(hash, bytes).catch(() => { /* a cache that cannot be written is not fatal */ })
    return bytes
  }
}
