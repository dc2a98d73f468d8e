/**
 * The browser tab's libp2p node. Same encryption, muxer and services as the Node peers
 * (node-peer/net/node.ts) so they understand each other; different transports, because a page can only
 * open WebSockets and WebRTC:
 *
 * - WebSockets to reach the coordinator (`/ws` or `/wss` multiaddrs);
 * - circuit relay v2 (client) + WebRTC: the tab reserves a slot on the coordinator's relay (listen
 *   `/p2p-circuit`), so another tab can dial `<relay>/p2p-circuit/webrtc/p2p/<tab>`; the relayed connection only
 *   carries the SDP/ICE exchange, then the two tabs talk over a direct WebRTC connection (listen `/webrtc`).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import type { Libp2p, PrivateKey, ServiceMap } from '@libp2p/interface'

export interface BrowserNodeInit {
  /** STUN/TURN servers for WebRTC. Default none: no traffic to third parties unless configured. */
  readonly iceServers?: RTCIceServer[]
  /** A fixed identity (default: a new one per page load; a tab is a short-lived peer). */
  readonly privateKey?: PrivateKey
}

export interface BrowserServices extends ServiceMap {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
}

export type BrowserNode = Libp2p<BrowserServices>

export async function createBrowserNode (init: BrowserNodeInit = {}): Promise<BrowserNode> {
  return await createLibp2p<BrowserServices>({
    privateKey: init.privateKey,
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [
      webSockets(),
      webRTC({ rtcConfiguration: { iceServers: init.iceServers ?? [] } }),
      circuitRelayTransport()
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // In a browser libp2p refuses to dial private and loopback addresses by default (so that any public page
    // cannot probe the visitor's LAN). This page exists to join a coordinator the user chose, which is often
    // on the LAN or on this machine (`ws://127.0.0.1:…` in development and tests): it only dials the bootstrap
    // address it was given and the relay/WebRTC addresses of peers met through it, so it allows them all.
    connectionGater: { denyDialMultiaddr: async () => false },
    services: {
      identify: identify(),
      ping: ping(),
      // announcements are best effort: publishing before anyone subscribed is normal
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true })
    },
    // a busy tab (background throttling) may miss a ping: keep the connection, jobs have their own timeouts
    connectionMonitor: { abortConnectionOnPingFailure: false }
  })
}
