import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { GridNode } from '../../../node-peer/net/node.js'
import { addrOf, freePort, newKey, startNode, stopAll, waitFor } from './nodes.js'

describe('createGridNode', () => {
  it('a worker connects to its bootstrap peer', async () => {
    let coordinator: GridNode | undefined
    let worker: GridNode | undefined
    try {
      coordinator = await startNode({ relayServer: true })
      const c = coordinator
      worker = await startNode({ bootstrap: [addrOf(c)] })
      const w = worker
      const ms = await waitFor(() => w.getConnections(c.peerId).length > 0 && c.getConnections(w.peerId).length > 0, 5000, 'the bootstrap connection on both sides')
      assert.equal(w.getConnections(c.peerId)[0].direction, 'outbound')
      console.log(`# bootstrap connection after ${ms} ms`)
    } finally {
      await stopAll(worker, coordinator)
    }
  })

  it('a worker started before its coordinator connects once it is up, and again after it restarts', async () => {
    const key = await newKey()
    const port = await freePort()
    const coordinatorAddr = `/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdFromPrivateKey(key).toString()}`
    const startCoordinator = async (): Promise<GridNode> => await startNode({ privateKey: key, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
    let coordinator: GridNode | undefined
    let worker: GridNode | undefined
    try {
      worker = await startNode({ bootstrap: [coordinatorAddr], redial: { minDelayMs: 100, maxDelayMs: 1000 } })
      const w = worker
      // let it fail a few times first
      await new Promise(resolve => setTimeout(resolve, 1200))
      assert.equal(w.getConnections().length, 0)

      coordinator = await startCoordinator()
      const first = await waitFor(() => w.getConnections(coordinator!.peerId).length > 0, 15_000, 'the first connection to the late coordinator')
      console.log(`# late coordinator: connected ${first} ms after it started`)

      await coordinator.stop()
      await waitFor(() => w.getConnections().length === 0, 5000, 'the worker to notice the coordinator stopped')
      coordinator = await startCoordinator()
      const second = await waitFor(() => w.getConnections(coordinator!.peerId).length > 0, 15_000, 'the reconnection after the coordinator restarted')
      console.log(`# restarted coordinator: reconnected ${second} ms after it started`)
    } finally {
      await stopAll(worker, coordinator)
    }
  })

  it('connects over websockets and over WebRTC-Direct', async () => {
    let a: GridNode | undefined
    let b: GridNode | undefined
    try {
      a = await startNode({ webrtcDirect: true, listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws', '/ip4/127.0.0.1/udp/0/webrtc-direct'] })
      b = await startNode({ webrtcDirect: true })
      for (const transport of ['ws', 'webrtc-direct'] as const) {
        const connection = await b.dial(multiaddr(addrOf(a, transport)), { signal: AbortSignal.timeout(5000) })
        assert.ok(connection.remoteAddr.toString().includes(`/${transport}`), connection.remoteAddr.toString())
        const rtt = await b.services.ping.ping(a.peerId, { signal: AbortSignal.timeout(5000) })
        assert.ok(rtt >= 0)
        await connection.close()
      }
    } finally {
      await stopAll(a, b)
    }
  })

  it('delivers a gossipsub message once both peers subscribed', async () => {
    const topic = 'edge-grid/test/announce'
    let a: GridNode | undefined
    let b: GridNode | undefined
    try {
      a = await startNode()
      b = await startNode({ bootstrap: [addrOf(a)] })
      const [pa, pb] = [a.services.pubsub, b.services.pubsub]
      const received = new Promise<string>(resolve => {
        pb.addEventListener('message', evt => { if (evt.detail.topic === topic) resolve(new TextDecoder().decode(evt.detail.data)) })
      })
      pa.subscribe(topic)
      pb.subscribe(topic)
      const bId = b.peerId
      const ms = await waitFor(() => pa.getSubscribers(topic).some(p => p.equals(bId)), 5000, 'the subscription to reach the publisher')
      await pa.publish(topic, new TextEncoder().encode('hello grid'))
      const text = await Promise.race([received, new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('no gossipsub message within 5 s')), 5000).unref())])
      assert.equal(text, 'hello grid')
      console.log(`# gossipsub subscription seen ${ms} ms after subscribing`)
    } finally {
      await stopAll(a, b)
    }
  })
})
