/**
 * The one place a Node peer's libp2p node is configured: the coordinator and `grid-worker` both call
 * `createGridNode`, so transports, encryption, muxing and discovery stay the same on both sides.
 */
import './polyfill.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p, type Libp2pOptions } from 'libp2p'
import { gridLogger } from './logger.js'
import { noiseCrypto } from './noise-crypto.js'
import type { ConnectionGater, Libp2p, PrivateKey, ServiceMap } from '@libp2p/interface'
import { keepConnected, type RedialInit } from '../../core/peer/redial.js'

export interface GridNodeInit {
  readonly privateKey: PrivateKey
  /** multiaddrs to listen on, e.g. `/ip4/0.0.0.0/tcp/4001`, `/ip4/0.0.0.0/tcp/4002/ws` */
  readonly listen: readonly string[]
  /** peers to connect to and stay connected to (each ends in `/p2p/<peer id>`): a worker's coordinator */
  readonly bootstrap?: readonly string[]
  /** retry timing for the bootstrap peers */
  readonly redial?: RedialInit
  /** find peers on the local network by multicast DNS and dial them. Opt-in: it multicasts on every interface. */
  readonly mdns?: boolean | { readonly intervalMs?: number }
  /** run a circuit-relay-v2 server (the coordinator), so browser tabs can reach each other through it */
  readonly relayServer?: boolean
  /** add the WebRTC-Direct transport (listen on `/ip4/…/udp/0/webrtc-direct`); browsers can dial it without TLS */
  readonly webrtcDirect?: boolean
  /** STUN/TURN servers for WebRTC. Default none: no traffic to third parties unless configured. */
  readonly iceServers?: RTCIceServer[]
  /** refuses peers (the coordinator gates peers that misbehaved, core/peer/peer-limits.ts) */
  readonly connectionGater?: ConnectionGater
  /** connection limits (the coordinator's: node-peer/net/limits.ts); absent: libp2p's defaults (workers) */
  readonly connectionManager?: Libp2pOptions['connectionManager']
}

export interface GridServices extends ServiceMap {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
  /** present when `relayServer` was asked for */
  relay?: CircuitRelayService
}

export type GridNode = Libp2p<GridServices>

/** Creates and starts a node. Stop it with `node.stop()` (that also ends the bootstrap re-dial loop). */
export async function createGridNode (init: GridNodeInit): Promise<GridNode> {
  const transports: NonNullable<Libp2pOptions['transports']> = [tcp(), webSockets()]
  // WebRTC, mDNS and the relay server are loaded only when asked for: together they are most of a
  // worker's start-up time (≈0.8 s of CPU here), and a grid-worker uses none of them by default.
  if (init.webrtcDirect === true) {
    const { webRTCDirect } = await import('@libp2p/webrtc')
    transports.push(webRTCDirect({ rtcConfiguration: { iceServers: init.iceServers ?? [] } }))
  }

  const peerDiscovery: NonNullable<Libp2pOptions['peerDiscovery']> = []
  const bootstrapList = [...(init.bootstrap ?? [])]
  if (bootstrapList.length > 0) peerDiscovery.push(bootstrap({ list: bootstrapList }))
  if (init.mdns != null && init.mdns !== false) {
    const { mdns } = await import('@libp2p/mdns')
    peerDiscovery.push(mdns({ interval: typeof init.mdns === 'object' ? init.mdns.intervalMs : undefined }))
  }

  const services: Record<string, (components: never) => unknown> = {
    identify: identify(),
    ping: ping(),
    // publishing before anyone subscribed is normal here (announcements); what must arrive goes over streams
    pubsub: gossipsub({ allowPublishToZeroTopicPeers: true })
  }
  if (init.relayServer === true) {
    const { circuitRelayServer } = await import('@libp2p/circuit-relay-v2')
    services.relay = circuitRelayServer()
  }

  const options: Libp2pOptions<GridServices> = {
    privateKey: init.privateKey,
    logger: gridLogger(),
    addresses: { listen: [...init.listen] },
    transports,
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    streamMuxers: [yamux()],
    peerDiscovery,
    services: services as Libp2pOptions<GridServices>['services'],
    // a worker busy with a long job may miss a ping: keep its connection (its jobs have their own timeouts)
    connectionMonitor: { abortConnectionOnPingFailure: false },
    ...(init.connectionGater != null ? { connectionGater: init.connectionGater } : {}),
    ...(init.connectionManager != null ? { connectionManager: init.connectionManager } : {})
  }
  const node = await createLibp2p(options)

  if (init.mdns != null && init.mdns !== false) {
    // libp2p 3 reports mDNS peers but does not dial them
    node.addEventListener('peer:discovery', evt => {
      if (node.getConnections(evt.detail.id).length > 0) return
      node.dial(evt.detail.id).catch(err => { node.logger.forComponent('edge-grid:mdns').error('dial %p failed - %e', evt.detail.id, err) })
    })
  }
  if (bootstrapList.length > 0) keepConnected(node, bootstrapList, init.redial)
  return node
}
