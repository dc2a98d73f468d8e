/**
 * Where the page gets its coordinator from: `?bootstrap=` first, else /config.json of the server that served
 * it; a page without a usable address says so (error state) instead of hanging.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startPageServer } from '../../node-peer/http/page-server.js'
import type { PageConfig, PageServer } from '../../node-peer/http/page-server.js'
import type { GridNode } from '../../node-peer/net/node.js'
import { addrOf, startNode, stopAll } from '../node-peer/net/nodes.js'
import { waitInPage, withBrowser } from '../helpers/browser.js'
import './page-types.js'

describe('page config', () => {
  let server: PageServer
  let node: GridNode
  let config: PageConfig = { bootstrap: [] }

  before(async () => {
    node = await startNode({ relayServer: true })
    server = await startPageServer({ port: 0, config: () => config })
  })

  after(async () => {
    await server?.close()
    await stopAll(node)
  })

  it('connects to the /config.json bootstrap over ws:// on loopback (the gater allows it)', async () => {
    config = { bootstrap: [addrOf(node, 'ws')] }
    await withBrowser({}, async browser => {
      const { page } = await browser.open(server.url)
      const links = await waitInPage(page, () => window.__edgeGrid?.connections() ?? [], c => c.some(x => x.status === 'open'), 20_000, 'a connection')
      assert.equal(links[0].peer, node.peerId.toString())
      assert.match(links[0].remoteAddr, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws/)
      const stats = await page.evaluate(() => window.__edgeGrid!.stats())
      assert.equal(stats.donating, false, 'no donation without the user saying so')
      assert.equal(stats.state, 'paused')
      // the relay reservation makes the tab dialable by other tabs
      await waitInPage(page, () => window.__edgeGrid!.multiaddrs(), m => m.some(a => a.includes('/p2p-circuit/webrtc/p2p/')), 20_000, 'a relayed WebRTC address')
    })
  })

  it('?bootstrap= wins over /config.json', async () => {
    config = { bootstrap: ['/ip4/127.0.0.1/tcp/9/ws/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'] }
    await withBrowser({}, async browser => {
      const { page } = await browser.open(`${server.url}?bootstrap=${encodeURIComponent(addrOf(node, 'ws'))}`)
      const links = await waitInPage(page, () => window.__edgeGrid?.connections() ?? [], c => c.some(x => x.status === 'open'), 20_000, 'a connection')
      assert.equal(links[0].peer, node.peerId.toString())
    })
  })

  for (const [what, setup, url, message] of [
    ['an empty bootstrap list', { bootstrap: [] }, '', /config\.json has no "bootstrap" list/],
    ['an address without /p2p/', { bootstrap: [] }, '?bootstrap=/ip4/127.0.0.1/tcp/1/ws', /must end in \/p2p\/<peer id>/]
  ] as const) {
    it(`shows an error for ${what}`, async () => {
      config = setup
      await withBrowser({}, async browser => {
        const { page } = await browser.open(`${server.url}${url}`)
        const stats = await waitInPage(page, () => window.__edgeGrid?.stats(), s => s?.state === 'error', 10_000, 'the error state')
        assert.match(stats?.error ?? '', message)
        assert.equal(await page.locator('#status').textContent(), 'Error')
        assert.equal(await page.locator('#donate').isDisabled(), true)
      })
    })
  }
})
