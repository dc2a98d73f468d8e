/**
 * A Node worker's heartbeat: a `worker` announcement on the announce topic every WORKER_HEARTBEAT_MS, so the
 * coordinator can count the peers it has seen (best effort). Used by grid-worker and the bench's crowd agents.
 *
 * The worker publishes without subscribing to the topic: gossipsub then sends to the peers known to be
 * subscribed (its coordinator), and the worker is not part of the topic's mesh. Subscribed, every worker's
 * heartbeat was relayed by the coordinator to every other subscribed worker (mesh forwards, and IHAVE gossip
 * to a quarter of the topic's peers followed by IWANTs): work on the coordinator that grew with the square of
 * the crowd, for announcements no grid-worker reads. Browser tabs do subscribe: they find each other there.
 */
import type { Announcement } from '../core/protocol/announce.js'
import { publishAnnouncement, WORKER_HEARTBEAT_MS } from '../core/protocol/announce.js'
import type { GossipPublisher } from '../core/protocol/gossip.js'

export interface Heartbeat {
  stop: () => void
}

/** Publishes `announcement()` every WORKER_HEARTBEAT_MS until stopped. */
export function startHeartbeat (pubsub: GossipPublisher, announcement: () => Extract<Announcement, { t: 'worker' }>, intervalMs = WORKER_HEARTBEAT_MS): Heartbeat {
  const timer = setInterval(() => { publishAnnouncement(pubsub, announcement()) }, intervalMs)
  return { stop: () => { clearInterval(timer) } }
}
