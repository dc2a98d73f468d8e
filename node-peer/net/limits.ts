/**
 * libp2p connection limits chosen for a grid. libp2p's defaults suit a peer among peers (a DHT node): at most
 * 300 connections, 5 new inbound connections a second per remote host, 10 inbound handshakes at once. A
 * coordinator is a hub: every volunteer holds one connection to it, many volunteers share an address (a
 * classroom behind one NAT, many tabs or agents on one machine), and they arrive together when a run is
 * announced. Measured with libp2p's defaults: about 5 joins a second, and never more than 300 workers.
 *
 * The coordinator's limits here: `maxPeers` connections (plus headroom), libp2p's fixed per-host rate replaced
 * by HostAdmission (core/peer/host-admission.ts: a per-host budget that grows with the host's joined workers),
 * and more handshakes in flight at once (but not so many that they time out). Workers and tabs keep libp2p's defaults: they hold one connection to
 * their coordinator and a handful to other peers, far below them.
 */
import type { Libp2pOptions } from 'libp2p'

/**
 * Default `--max-peers`: volunteers connected at once. Measured here: about 0.3 MB of coordinator memory and a
 * few ms of CPU to join per worker (README, W9), so 2,000 stays well under a GB on a small machine.
 */
export const DEFAULT_MAX_PEERS = 2000
/** Upper bound of `--max-peers` (the job server's stream cap follows it). */
export const MAX_MAX_PEERS = 65_536
/**
 * Default `--join-rate`: new connections a second from one address before any worker from it joined (libp2p's
 * own default per-host figure). Each joined worker from that address adds one a second (HostAdmission).
 */
export const DEFAULT_JOIN_RATE = 5
/**
 * Connections beyond `maxPeers`: a worker re-joining while its old connection closes, browser tabs' relay
 * reservations, the odd peer that is no worker. Past maxPeers + headroom libp2p refuses new connections.
 */
const CONNECTION_HEADROOM = 64
/**
 * Inbound handshakes (Noise, muxer) in flight at once. Too few (libp2p's 10) leaves the CPU idle while workers
 * back off after refusals; too many and, on a busy machine, every handshake slows until many pass the 10 s
 * dial timeout and are thrown away on both sides (a congestion collapse: all the work, none of the joins).
 * Measured with 300 agents from one address (README, W9; a loaded 2-vCPU machine, one run each): 16 → all
 * joined in 78 s, 32 → 31 s, 128 → 220 of them in 60 s.
 */
const MAX_PENDING_HANDSHAKES = 32

export interface CoordinatorLimits {
  /** Most workers (connections) at once. */
  readonly maxPeers: number
  /** New connections a second from one address with no joined worker (HostAdmission's base rate). */
  readonly joinRate: number
}

export const DEFAULT_COORDINATOR_LIMITS: CoordinatorLimits = { maxPeers: DEFAULT_MAX_PEERS, joinRate: DEFAULT_JOIN_RATE }

/** The libp2p connection manager settings of a coordinator with these limits. */
export function coordinatorConnectionManager (limits: CoordinatorLimits): NonNullable<Libp2pOptions['connectionManager']> {
  return {
    maxConnections: limits.maxPeers + CONNECTION_HEADROOM,
    maxIncomingPendingConnections: MAX_PENDING_HANDSHAKES,
    // libp2p's fixed per-host limiter is replaced by HostAdmission in the connection gater (its budget grows
    // with joined workers); this leaves libp2p's own one out of the way
    inboundConnectionThreshold: limits.maxPeers + CONNECTION_HEADROOM
  }
}
