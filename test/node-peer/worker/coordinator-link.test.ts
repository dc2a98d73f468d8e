/**
 * The worker side's link (core/worker/coordinator-link.ts) over real libp2p nodes on 127.0.0.1: it opens a
 * session with a connected coordinator and leaves it with a bye; a dial that hangs (a TCP port that accepts
 * and never answers) is given up after the dial timeout; a coordinator that does not prove the join secret
 * is left at once and tried again only after the hold-off (grid-worker's rule) or after a wait that doubles
 * up to a cap (the page's rule).
 */
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { Socket } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Connection } from '@libp2p/interface'
import { CoordinatorLink, DEFAULT_DIAL_TIMEOUT_MS } from '../../../core/worker/coordinator-link.js'
import type { CoordinatorLinkInit, LinkNode, SessionEnd } from '../../../core/worker/coordinator-link.js'
import { UntrustedCoordinatorError } from '../../../core/worker/worker-agent.js'
import { JOB_PROTOCOL } from '../../../core/protocol/job-messages.js'
import type { GridNode } from '../../../node-peer/net/node.js'
import { addrOf, newKey, startNode, stopAll, waitFor } from '../net/nodes.js'
import { fakeCoordinator, IdleExecutor } from './fake-coordinator.js'

const info = { name: 'link-test', threads: 1, platform: 'test', labels: [] }

describe('CoordinatorLink over real libp2p nodes (127.0.0.1)', () => {
  const nodes: GridNode[] = []
  const links: CoordinatorLink[] = []
  after(async () => {
    await Promise.all(links.map(async link => { await link.leave(100) }))
    await stopAll(...nodes)
  })

  /** A worker node connected to `coordinator`, and a link on it with `init`. */
  async function linkTo (coordinator: GridNode, init: Omit<CoordinatorLinkInit, 'info'>): Promise<CoordinatorLink> {
    const worker = await startNode()
    nodes.push(worker)
    const link = new CoordinatorLink({
      node: worker,
      executor: new IdleExecutor(),
      fetchModule: async () => { throw new Error('no code in this test') }
    }, { info, ...init })
    links.push(link)
    await worker.dial(multiaddr(addrOf(coordinator)))
    return link
  }

  it('opens a session with a pinned, connected coordinator; leave() says bye and stops looking', async () => {
    const fake = await fakeCoordinator('honest without secret')
    nodes.push(fake.node)
    const link = await linkTo(fake.node, { coordinators: [fake.node.peerId.toString()] })
    const welcomed = new Promise<{ coordinator: string, flow: string }>(resolve => { link.addEventListener('welcome', evt => { resolve(evt.detail) }, { once: true }) })
    link.start()
    const welcome = await welcomed
    assert.deepEqual({ ...welcome }, { coordinator: fake.node.peerId.toString(), flow: 'fake', run: 'fake-run' })
    assert.equal(link.coordinator, fake.node.peerId.toString())
    await waitFor(() => fake.hellos[0]?.session.some(m => m.t === 'pull'), 5000, 'credits')
    await link.leave()
    await waitFor(() => fake.hellos[0].session.some(m => m.t === 'bye'), 5000, 'the bye')
    assert.equal(link.coordinator, undefined)
    assert.equal(link.active, false)
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.equal(fake.hellos.length, 1, 'no new session after leave()')
  })

  it('takes no job from a connected peer it does not trust', async () => {
    const fake = await fakeCoordinator('honest without secret')
    nodes.push(fake.node)
    const link = await linkTo(fake.node, { coordinators: ['12D3KooWNotThisOneNotThisOneNotThisOneNotThisOne'], pollMs: 50 })
    let none = 0
    link.addEventListener('coordinator:none', () => { none++ })
    link.start()
    await waitFor(() => none >= 3, 5000, 'a few looks')
    assert.equal(fake.hellos.length, 0)
  })

  it('gives up a dial that hangs (TCP accepted, never answered) after the dial timeout, and tries again', async () => {
    assert.equal(DEFAULT_DIAL_TIMEOUT_MS, 10_000)
    const sockets: Socket[] = []
    const server = createServer(socket => { sockets.push(socket) }) // accepts, never says a byte
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const worker = await startNode()
    nodes.push(worker)
    const silent = peerIdFromPrivateKey(await newKey())
    await worker.peerStore.merge(silent, { multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/${port}`)] })
    // as the link sees it after identify: the coordinator is connected and speaks the job protocol; the dial
    // itself is real and goes to the silent port
    const node = {
      peerId: worker.peerId,
      dialProtocol: worker.dialProtocol.bind(worker),
      getConnections: () => [{ status: 'open', remotePeer: silent } as unknown as Connection],
      peerStore: { get: async () => ({ protocols: [JOB_PROTOCOL] }) },
      addEventListener: () => {},
      removeEventListener: () => {}
    } as unknown as LinkNode
    const link = new CoordinatorLink({ node, executor: new IdleExecutor(), fetchModule: async () => new Uint8Array() },
      { info, coordinators: [silent.toString()], dialTimeoutMs: 400, retry: { minMs: 100, maxMs: 100 }, pollMs: 0 })
    links.push(link)
    const failures: Array<{ at: number, error: Error }> = []
    link.addEventListener('session:failed', evt => { failures.push({ at: performance.now(), error: evt.detail.error }) })
    const started = performance.now()
    try {
      link.start()
      await waitFor(() => failures.length >= 2, 10_000, 'two timed-out dials')
      await link.leave()
    } finally {
      for (const socket of sockets) socket.destroy()
      server.close()
    }
    assert.ok(sockets.length >= 2, `each attempt reached the port (${sockets.length})`)
    const first = failures[0].at - started
    assert.ok(first >= 350 && first < 3000, `the first dial ended after the 400 ms timeout, not libp2p's own: ${Math.round(first)} ms`)
    assert.match(failures[0].error.name, /TimeoutError|AbortError/, `${failures[0].error.name}: ${failures[0].error.message}`)
    const gap = failures[1].at - failures[0].at
    assert.ok(gap >= 450 && gap < 3000, `then 100 ms of retry wait and another 400 ms dial: ${Math.round(gap)} ms`)
  })

  it("grid-worker's rule: leaves a coordinator that does not prove the secret, and tries it again only after the hold-off", async () => {
    const fake = await fakeCoordinator('garbage proof')
    nodes.push(fake.node)
    const link = await linkTo(fake.node, {
      coordinators: [fake.node.peerId.toString()], secret: 'the secret', unprovenRetryMs: 800, retry: { minMs: 50, maxMs: 50 }, pollMs: 50
    })
    const ends: SessionEnd[] = []
    link.addEventListener('session:closed', evt => { ends.push(evt.detail) })
    link.start()
    await waitFor(() => fake.hellos.length >= 3, 10_000, 'three sessions')
    await link.leave()
    for (const end of ends) {
      assert.ok(end.reason instanceof UntrustedCoordinatorError, String(end.reason))
      assert.match(end.reason.message, /the proof in its challenge is wrong/)
    }
    for (const hello of fake.hellos) assert.deepEqual(hello.session.map(m => m.t), ['hello', 'bye'], 'no proof sent, no credits granted')
    const gaps = fake.hellos.slice(1).map((h, i) => h.at - fake.hellos[i].at)
    for (const gap of gaps) assert.ok(gap >= 780 && gap < 3000, `tried again after the 800 ms hold-off, not the 50 ms poll: ${gaps.map(Math.round).join(', ')} ms`)
  })

  it("the page's rule: after an unproven coordinator the wait doubles up to its cap", async () => {
    const fake = await fakeCoordinator('garbage proof')
    nodes.push(fake.node)
    const link = await linkTo(fake.node, {
      coordinators: [fake.node.peerId.toString()], secret: 'the secret', unprovenRetryMs: 0, retry: { minMs: 100, maxMs: 400, factor: 2 }, pollMs: 0
    })
    link.start()
    await waitFor(() => fake.hellos.length >= 5, 10_000, 'five sessions')
    await link.leave()
    const gaps = fake.hellos.slice(1, 5).map((h, i) => h.at - fake.hellos[i].at)
    const shown = gaps.map(Math.round).join(', ')
    // waits of 200, 400, 400, 400 ms (each failure doubles the 100 ms start, capped), plus a session's own time
    for (const [i, wait] of [200, 400, 400, 400].entries()) assert.ok(gaps[i] >= wait - 20 && gaps[i] < wait + 1500, `gap ${i + 1} of ${shown} ms is about ${wait} ms`)
  })
})
