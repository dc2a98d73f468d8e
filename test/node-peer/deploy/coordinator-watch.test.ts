/** bootstrapFor: which coordinator address the workers on each host dial. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { bootstrapFor } from '../../../node-peer/deploy/coordinator-watch.js'

const ID = '12D3KooWGudzbyxksfX4DRxkQQGAJfg799Ujx1UvEC49ZN59NHXE'
const ready = {
  peerId: ID,
  addresses: [`/ip4/127.0.0.1/tcp/4000/p2p/${ID}`, `/ip4/127.0.0.1/tcp/4001/ws/p2p/${ID}`, `/ip4/10.77.3.1/tcp/4000/p2p/${ID}`, `/ip4/192.168.1.5/tcp/4000/p2p/${ID}`]
}

it('workers on this machine dial loopback', () => {
  assert.equal(bootstrapFor(ready, undefined), `/ip4/127.0.0.1/tcp/4000/p2p/${ID}`)
})

it('workers on an SSH host dial the address that host reached us at (its SSH_CONNECTION)', () => {
  assert.equal(bootstrapFor(ready, '10.77.3.1'), `/ip4/10.77.3.1/tcp/4000/p2p/${ID}`)
  assert.equal(bootstrapFor(ready, '192.168.1.5'), `/ip4/192.168.1.5/tcp/4000/p2p/${ID}`)
})

it('an address not among ours (NAT, a forwarded port) gets the TCP port; IPv6 is written as such', () => {
  assert.equal(bootstrapFor(ready, '203.0.113.9'), `/ip4/203.0.113.9/tcp/4000/p2p/${ID}`)
  assert.equal(bootstrapFor(ready, 'fd00::2'), `/ip6/fd00::2/tcp/4000/p2p/${ID}`)
})

it('no TCP address: nothing to hand out', () => {
  assert.equal(bootstrapFor({ peerId: ID, addresses: [`/ip4/127.0.0.1/tcp/4001/ws/p2p/${ID}`] }, '10.0.0.1'), undefined)
})
