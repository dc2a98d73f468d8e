/**
 * Tab ↔ tab: browser tabs working for the same coordinator find each other and share the WASM modules they
 * already have, so a module is fetched from the coordinator once per handful of tabs instead of once per tab.
 *
 * - Discovery: every tab publishes worker heartbeats on the announce topic (core/protocol/announce.ts); the
 *   coordinator is subscribed, so gossipsub carries them from tab to tab. A tab hearing a new browser peer
 *   answers with its own heartbeat at once (so newcomers learn about it within a round trip), and the tab
 *   with the smaller peer id dials the other: exactly one side dials.
 * - Connection: both tabs hold a reservation on the coordinator's circuit relay (they listen on
 *   `/p2p-circuit`), so the dialer uses `<coordinator addr>/p2p-circuit/webrtc/p2p/<tab>`. The relay carries
 *   only the SDP/ICE exchange; the connection that results is direct WebRTC.
 * - Sharing: each tab serves the modules it holds over the code protocol (core/protocol/code-fetch.ts) on
 *   direct connections only (never through the relay's data-limited circuits). A fetch asks connected tabs
 *   first and falls back to the coordinator; `fetchCode` checks the sha256, so a lying tab changes nothing.
 */
import type { Connection, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { decodeValue } from '../../core/codec.js'
import { ANNOUNCE_TOPIC, WORKER_HEARTBEAT_MS, isAnnouncement, publishAnnouncement } from '../../core/protocol/announce.js'
import type { Announcement } from '../../core/protocol/announce.js'
import { fetchCode, serveCode } from '../../core/protocol/code-fetch.js'
import type { BrowserNode } from './node.js'

/** Direct connections to other tabs kept at most: enough to find a module, few enough to stay light. */
export const MAX_TAB_PEERS = 4
/** A tab that does not answer a code request in this time is skipped (the coordinator is asked instead). */
const TAB_FETCH_TIMEOUT_MS = 4000
const DIAL_TIMEOUT_MS = 10_000
/** The other tab may not hold its relay reservation yet: a few attempts, this far apart. */
const DIAL_ATTEMPTS = 3
const DIAL_RETRY_MS = 500
/** Least time between two heartbeats sent in answer to newcomers. */
const ANSWER_GAP_MS = 250
const LABEL = 'browser'

export interface CodeFetchRecord {
  readonly hash: string
  /** 'coordinator' or 'tab' */
  readonly source: 'coordinator' | 'tab'
  readonly peer: string
  /** the connection's remote address (a tab's ends in /webrtc/p2p/<id>) */
  readonly remoteAddr: string
  readonly bytes: number
  readonly ms: number
}

export interface TabPeersInit {
  readonly node: BrowserNode
  /** What our heartbeat says about us (kept current by the caller). */
  readonly heartbeat: () => Extract<Announcement, { t: 'worker' }>
  readonly events?: TabPeersEvents
}

export interface TabPeersEvents {
  flow?: (from: string, flow: string, announcement: Extract<Announcement, { t: 'flow' }>) => void
  peerSeen?: (peer: string) => void
  log?: (line: string) => void
}

export class TabPeers {
  /** Modules this tab holds, by hash: what it serves to other tabs. */
  readonly modules = new Map<string, Uint8Array>()
  readonly fetches: CodeFetchRecord[] = []
  private readonly seen = new Set<string>()
  private readonly dialing = new Map<string, Promise<void>>()
  private relays: string[] = []
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined
  private lastAnswer = 0
  private stopServing: (() => Promise<void>) | undefined

  constructor (private readonly init: TabPeersInit) {}

  /** Peers heard of or connected to, since the page loaded (not counting ourselves). */
  get peersSeen (): number {
    return this.seen.size
  }

  /** Direct (WebRTC) connections to other tabs. */
  tabConnections (): Connection[] {
    return this.init.node.getConnections().filter(c => c.status === 'open' && c.limits == null && c.remoteAddr.toString().includes('/webrtc'))
  }

  /** Starts serving modules, listening to announcements and sending heartbeats through `relays` (coordinator addresses). */
  async start (relays: readonly string[]): Promise<void> {
    const { node } = this.init
    this.relays = [...relays]
    this.stopServing = await serveCode(node, hash => this.modules.get(hash))
    const pubsub = node.services.pubsub
    pubsub.subscribe(ANNOUNCE_TOPIC)
    pubsub.addEventListener('message', evt => {
      if (evt.detail.topic !== ANNOUNCE_TOPIC || evt.detail.type !== 'signed') return
      let message: unknown
      try {
        message = decodeValue(evt.detail.data)
      } catch { return } // gossip is best effort
      if (!isAnnouncement(message)) return
      const from = evt.detail.from.toString()
      this.saw(from)
      if (message.t === 'flow') this.init.events?.flow?.(from, message.flow, message)
      else if (message.labels.includes(LABEL)) this.onTab(evt.detail.from)
    })
    // the first moment a publish can reach anyone: a peer (the coordinator) has just subscribed
    pubsub.addEventListener('subscription-change', evt => {
      if (evt.detail.subscriptions.some(s => s.topic === ANNOUNCE_TOPIC && s.subscribe)) this.publish()
    })
    node.addEventListener('peer:connect', evt => { this.saw(evt.detail.toString()) })
    this.heartbeatTimer = setInterval(() => { this.publish() }, WORKER_HEARTBEAT_MS)
    this.publish()
  }

  async stop (): Promise<void> {
    if (this.heartbeatTimer != null) clearInterval(this.heartbeatTimer)
    await this.stopServing?.()
  }

  /** Resolves when a direct connection to another tab exists (or a dial to one ended), or after `ms`. */
  async waitForTabs (ms: number): Promise<void> {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      if (this.tabConnections().length > 0) return
      if (this.dialing.size > 0) {
        await Promise.race([Promise.allSettled(this.dialing.values()), sleep(deadline - Date.now())])
        if (this.tabConnections().length > 0) return
      }
      await sleep(Math.min(50, Math.max(0, deadline - Date.now())))
    }
  }

  /**
   * The module with content hash `hash`: from another tab if one has it, else from `coordinator`.
   * Verified against the hash either way (fetchCode).
   */
  async fetchModule (hash: string, coordinator: PeerId): Promise<Uint8Array> {
    const held = this.modules.get(hash)
    if (held != null) return held
    // a dial to a tab under way may be the better source: wait for it a little
    if (this.dialing.size > 0) await Promise.race([Promise.allSettled(this.dialing.values()), sleep(DIAL_TIMEOUT_MS)])
    for (const connection of this.tabConnections()) {
      const started = performance.now()
      try {
        const bytes = await fetchCode(this.init.node, connection.remotePeer, hash, { signal: AbortSignal.timeout(TAB_FETCH_TIMEOUT_MS) })
        this.record(hash, 'tab', connection, bytes, started)
        return bytes
      } catch (err) {
        this.init.events?.log?.(`tab …${short(connection.remotePeer.toString())} has no module ${hash.slice(0, 8)} (${(err as Error).name})`)
      }
    }
    const started = performance.now()
    const bytes = await fetchCode(this.init.node, coordinator, hash)
    const connection = this.init.node.getConnections(coordinator)[0]
    this.record(hash, 'coordinator', connection, bytes, started)
    return bytes
  }

  private record (hash: string, source: 'coordinator' | 'tab', connection: Connection | undefined, bytes: Uint8Array, started: number): void {
    this.modules.set(hash, bytes)
    const ms = performance.now() - started
    const peer = connection?.remotePeer.toString() ?? ''
    this.fetches.push({ hash, source, peer, remoteAddr: connection?.remoteAddr.toString() ?? '', bytes: bytes.byteLength, ms })
    this.init.events?.log?.(`module ${hash.slice(0, 8)}… (${formatBytes(bytes.byteLength)}) from ${source === 'tab' ? `tab …${short(peer)} over WebRTC` : 'the coordinator'} in ${Math.round(ms)} ms`)
  }

  private saw (peer: string): void {
    if (peer === this.init.node.peerId.toString() || this.seen.has(peer)) return
    this.seen.add(peer)
    this.init.events?.peerSeen?.(peer)
  }

  private onTab (peer: PeerId): void {
    const id = peer.toString()
    const self = this.init.node.peerId.toString()
    if (id === self || this.init.node.getConnections(peer).some(c => c.limits == null)) return
    if (this.dialing.has(id) || this.tabConnections().length >= MAX_TAB_PEERS) return
    if (self < id) {
      const dial = this.dial(peer).finally(() => this.dialing.delete(id))
      this.dialing.set(id, dial)
    } else {
      // the other tab dials; make sure it has heard of us
      this.answer()
    }
  }

  private async dial (peer: PeerId): Promise<void> {
    for (let attempt = 1; attempt <= DIAL_ATTEMPTS; attempt++) {
      for (const relay of this.relays) {
        const addr = multiaddr(`${relay}/p2p-circuit/webrtc/p2p/${peer.toString()}`)
        try {
          const connection = await this.init.node.dial(addr, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
          this.init.events?.log?.(`connected to tab …${short(peer.toString())} over ${connection.remoteAddr.toString().includes('/webrtc') ? 'WebRTC' : connection.remoteAddr.toString()}`)
          return
        } catch (err) {
          if (attempt === DIAL_ATTEMPTS) this.init.events?.log?.(`could not reach tab …${short(peer.toString())}: ${(err as Error).message}`)
        }
      }
      await sleep(DIAL_RETRY_MS)
    }
  }

  private answer (): void {
    const now = Date.now()
    if (now - this.lastAnswer < ANSWER_GAP_MS) return
    this.lastAnswer = now
    this.publish()
  }

  /** Sends a heartbeat now (also on a timer): e.g. when the tab pauses, so the dashboard shows it at once. */
  publish (): void {
    publishAnnouncement(this.init.node.services.pubsub, this.init.heartbeat())
  }
}

/** The peer id in a multiaddr's last /p2p/ part. */
export function peerIdOf (addr: string): PeerId {
  const id = multiaddr(addr).getComponents().findLast(c => c.name === 'p2p')?.value
  if (id == null) throw new TypeError(`${addr} has no /p2p/<peer id>`)
  return peerIdFromString(id)
}

export function short (peer: string): string {
  return peer.slice(-8)
}

function formatBytes (n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, Math.max(0, ms)))
}
