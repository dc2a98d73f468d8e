/**
 * Tab ↔ tab: two Chromium tabs working for the same coordinator find each other over gossipsub, connect
 * directly over WebRTC (signalled through the coordinator's circuit relay), and the second tab fetches the
 * flow's WASM module from the first tab instead of the coordinator. Both then finish the flow.
 *
 * Loopback WebRTC in Chromium needs the flags in WEBRTC_LOOPBACK_FLAGS and a media permission for the page's
 * origin (see test/helpers/browser.ts). No STUN: the pages use `iceServers: []`.
 * Also here: a tab closed in the middle of a flow loses nothing (the coordinator re-queues its jobs).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { startPageServer } from '../../node-peer/http/page-server.js'
import type { PageServer } from '../../node-peer/http/page-server.js'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import { sinkLines } from '../helpers/cli.js'
import { checkExample } from '../helpers/example-checks.js'
import { copyExample } from '../helpers/example-copy.js'
import { primesBelow } from '../helpers/expected.js'
import { Proc } from '../helpers/processes.js'
import { waitInPage, withBrowser, within } from '../helpers/browser.js'
import { freePort } from '../node-peer/net/nodes.js'
import './page-types.js'

describe('browser tabs share modules over WebRTC', () => {
  let dir: string
  let identity: string
  let listen: string[]
  let coordinatorId: string
  let server: PageServer

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-grid-tabs-'))
    identity = join(dir, 'coordinator.key')
    coordinatorId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity)).toString()
    const ws = await freePort()
    listen = ['--listen', `/ip4/127.0.0.1/tcp/${ws}/ws`]
    const bootstrap = `/ip4/127.0.0.1/tcp/${ws}/ws/p2p/${coordinatorId}`
    server = await startPageServer({ port: 0, config: () => ({ bootstrap: [bootstrap] }) })
  })

  after(async () => { await server?.close() })

  it('the second tab fetches the module from the first over a direct WebRTC connection', async () => {
    // primes below 40,000,000 in 128 jobs: long enough on one thread for the second tab to join mid-flow
    const run = await copyExample('primes')
    const flow = JSON.parse(await readFile(join(run, 'flow.json'), 'utf8'))
    flow.sources.chunks.end = 40_000_000
    await writeFile(join(run, 'flow.json'), JSON.stringify(flow))
    const wasm = await readFile(join(run, 'build', 'primes.wasm'))
    const hash = createHash('sha256').update(wasm).digest('hex')

    const origin = server.url.replace(/\/$/, '')
    await withBrowser({ webrtcLoopback: true, grantMedia: [origin] }, async browser => {
      const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', ...listen, '--identity', identity, '--wait-workers', '1', '--report', join(run, 'report.json')])
      try {
        const a = await browser.open(`${server.url}?autostart=1&name=tab-a&threads=1`)
        await waitInPage(a.page, () => window.__edgeGrid?.stats(), s => s != null && s.jobsDone >= 1, 60_000, 'tab A doing jobs')
        const aId = await a.page.evaluate(() => window.__edgeGrid!.stats().peerId)
        const aFetches = await a.page.evaluate(() => window.__edgeGrid!.codeFetches())
        assert.deepEqual(aFetches.map(f => [f.hash, f.source, f.peer]), [[hash, 'coordinator', coordinatorId]], 'tab A got the module from the coordinator')
        assert.ok((await a.page.evaluate(() => window.__edgeGrid!.multiaddrs())).some(m => m.includes(`/p2p/${coordinatorId}/p2p-circuit/webrtc/p2p/${aId}`)), 'tab A is reachable through the relay')

        const b = await browser.open(`${server.url}?autostart=1&name=tab-b&threads=1&discover=8000`)
        const fetched = await waitInPage(b.page, () => window.__edgeGrid?.codeFetches() ?? [], f => f.length > 0, 60_000, 'tab B fetching the module')
        assert.equal(fetched.length, 1)
        const [record] = fetched
        assert.equal(record.hash, hash, 'the module the flow uses (sha256 checked by fetchCode, and here)')
        assert.equal(record.bytes, wasm.byteLength)
        assert.equal(record.source, 'tab', `fetched from a tab, not the coordinator; B's log:\n${(await b.page.evaluate(() => window.__edgeGrid!.logLines())).join('\n')}`)
        assert.equal(record.peer, aId)
        assert.match(record.remoteAddr, /\/webrtc/, 'over WebRTC')
        assert.doesNotMatch(record.remoteAddr, /\/p2p-circuit\/?$/, 'not over the relayed circuit')

        const links = await b.page.evaluate(() => window.__edgeGrid!.connections())
        const toA = links.filter(c => c.peer === aId && c.status === 'open' && !c.limited)
        assert.ok(toA.length > 0 && toA.every(c => c.remoteAddr.includes('/webrtc')), `B's direct connections to A are WebRTC: ${JSON.stringify(links)}`)
        const bStats = await b.page.evaluate(() => window.__edgeGrid!.stats())
        assert.equal(bStats.modulesFromTabs, 1)
        assert.ok(bStats.tabPeers >= 1)
        const aLinks = await a.page.evaluate(() => window.__edgeGrid!.connections())
        assert.ok(aLinks.some(c => c.peer === bStats.peerId && c.remoteAddr.includes('/webrtc') && !c.limited), 'A sees the same WebRTC connection')

        const end = await within(coordinator.exited, 120_000, () => `primes did not finish; output:\n${coordinator.output.slice(-2000)}`)
        assert.equal(end.code, 0, coordinator.output.slice(-3000))
        // the module's label says 20000000 (it is fixed in the example); the count is of the range asked for
        assert.deepEqual(sinkLines(coordinator.output, 'primes').map(l => JSON.parse(l)[1]), [primesBelow(40_000_000)])
        const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
        assert.ok(report.perWorker['worker/tab-a'] > 0 && report.perWorker['worker/tab-b'] > 0, `both tabs worked: ${JSON.stringify(report.perWorker)}`)
        for (const tab of [a, b]) assert.deepEqual(tab.errors.filter(e => !/ERR_CONNECTION_REFUSED/.test(e)), [])
      } finally {
        await coordinator.stop('SIGKILL', 5000)
      }
    })
  })
})

describe('closing a tab loses nothing', () => {
  let server: PageServer
  let identity: string
  let listen: string[]

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-close-'))
    identity = join(dir, 'coordinator.key')
    const id = peerIdFromPrivateKey(await loadOrCreateIdentity(identity)).toString()
    const ws = await freePort()
    listen = ['--listen', `/ip4/127.0.0.1/tcp/${ws}/ws`]
    server = await startPageServer({ port: 0, config: () => ({ bootstrap: [`/ip4/127.0.0.1/tcp/${ws}/ws/p2p/${id}`] }) })
  })

  after(async () => { await server?.close() })

  it('a tab closed mid-flow: the coordinator re-queues its jobs and the other tab finishes with the right output', async () => {
    // primes: 64 jobs of ~75 ms (too costly to be chunked), so tab A has work left when it closes after 5;
    // mandelbrot's 600 cheap rows go out in growing chunks, and tab B could finish them all before that
    const run = await copyExample('primes')
    await withBrowser({}, async browser => {
      const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', ...listen, '--identity', identity, '--wait-workers', '2', '--report', join(run, 'report.json')])
      try {
        const a = await browser.open(`${server.url}?autostart=1&name=tab-a&threads=1`)
        const b = await browser.open(`${server.url}?autostart=1&name=tab-b&threads=1`)
        await waitInPage(a.page, () => window.__edgeGrid?.stats(), s => s != null && s.jobsDone >= 5, 60_000, 'tab A doing jobs')
        await a.page.close() // no goodbye: the tab is simply gone
        await coordinator.waitFor(/- worker\/tab-a (disconnected|left)/, 20_000)
        const end = await within(coordinator.exited, 120_000, () => `primes did not finish; output:\n${coordinator.output.slice(-2000)}`)
        assert.equal(end.code, 0, coordinator.output.slice(-3000))
        const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
        await checkExample('primes', run, coordinator.output, report)
        assert.ok(report.perWorker['worker/tab-a'] >= 5 && report.perWorker['worker/tab-b'] > 0, JSON.stringify(report.perWorker))
        assert.deepEqual(b.errors.filter(e => !/ERR_CONNECTION_REFUSED/.test(e)), [])
      } finally {
        await coordinator.stop('SIGKILL', 5000)
      }
    })
  })
})
