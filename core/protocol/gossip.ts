/**
 * Gossipsub is best effort here (PLATFORM.md: a publish before the mesh forms reaches nobody): nothing that
 * must arrive travels on it, so a failed publish is dropped, never thrown. Each topic has one typed publish
 * function (announce.ts, side-gossip.ts) so what goes out is checked against its message union.
 */
import { encodeValue } from '../codec.js'

/** The part of a pubsub service that publishing needs (gossipsub's `publish`). */
export interface GossipPublisher {
  publish: (topic: string, data: Uint8Array) => Promise<unknown>
}

export function publishBestEffort (pubsub: GossipPublisher, topic: string, message: unknown): void {
  pubsub.publish(topic, encodeValue(message)).catch(() => { /* nobody subscribed yet */ })
}
