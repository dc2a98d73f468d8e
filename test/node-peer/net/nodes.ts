// Shared by the network tests: real libp2p nodes on 127.0.0.1 only. (Exports only: importing it starts nothing.)
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { createGridNode, type GridNode, type GridNodeInit } from '../../../node-peer/net/node.js'

export const LOOPBACK = ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws']

export async function startNode (init: Partial<GridNodeInit> = {}): Promise<GridNode> {
  return await createGridNode({ privateKey: init.privateKey ?? await newKey(), listen: LOOPBACK, ...init })
}

export async function newKey (): Promise<PrivateKey> {
  return await generateKeyPair('Ed25519')
}

/** The node's address for a transport ('tcp', 'ws', 'webrtc-direct'), with /p2p/<id>. */
export function addrOf (node: GridNode, transport: 'tcp' | 'ws' | 'webrtc-direct' = 'tcp'): string {
  const addr = node.getMultiaddrs().map(String).find(a => {
    if (transport === 'tcp') return a.includes('/tcp/') && !a.includes('/ws')
    return a.includes(`/${transport}/`)
  })
  if (addr == null) throw new Error(`node has no ${transport} address: ${node.getMultiaddrs().join(' ')}`)
  return addr
}

export async function stopAll (...nodes: Array<GridNode | undefined>): Promise<void> {
  await Promise.all(nodes.map(async n => { await n?.stop() }))
}

/** Polls `condition` every 25 ms; fails with `what` after `ms`. */
export async function waitFor (condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<number> {
  const start = Date.now()
  while (Date.now() - start < ms) {
    if (await condition()) return Date.now() - start
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

/** A TCP port that was free a moment ago (for a node that must come up later on a known port). */
export { freePort } from '../../../bench/lib/grid.js'
