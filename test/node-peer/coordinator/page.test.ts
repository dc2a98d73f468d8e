/** withWebSocket: a browser can only dial WebSockets, so --http makes sure there is a WebSocket listen address. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { withWebSocket } from '../../../node-peer/coordinator/page.js'

describe('withWebSocket', () => {
  it('adds /ws beside the first TCP address (same host, any port) when there is none', () => {
    assert.deepEqual(withWebSocket(['/ip4/127.0.0.1/tcp/0']), { listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'], added: '/ip4/127.0.0.1/tcp/0/ws' })
    assert.deepEqual(withWebSocket(['/ip4/0.0.0.0/udp/0/webrtc-direct', '/ip6/::1/tcp/4747', '/ip4/10.0.0.1/tcp/1']).listen,
      ['/ip4/0.0.0.0/udp/0/webrtc-direct', '/ip6/::1/tcp/4747', '/ip6/::1/tcp/0/ws', '/ip4/10.0.0.1/tcp/1'])
  })

  it('leaves a list with a WebSocket address alone', () => {
    for (const listen of [['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'], ['/ip4/0.0.0.0/tcp/443/wss']]) {
      assert.deepEqual(withWebSocket(listen), { listen })
    }
  })
})
