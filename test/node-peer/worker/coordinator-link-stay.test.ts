/**
 * Volunteers stay (core/worker/coordinator-link.ts with coordinator-choice.ts): the link works for the
 * coordinator it joined until that one has been gone `forgetAfterMs`, then joins the next that qualifies.
 * Real libp2p nodes on 127.0.0.1 with hand-made coordinators; the link's timers are a manual clock, so
 * "30 s gone" is exact and takes no time.
 */
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { CoordinatorLink } from '../../../core/worker/coordinator-link.js'
import type { CoordinatorLinkInit, LinkTimers } from '../../../core/worker/coordinator-link.js'
import { JOB_PROTOCOL } from '../../../core/protocol/job-messages.js'
import type { GridNode } from '../../../node-peer/net/node.js'
import { addrOf, newKey, startNode, stopAll, waitFor } from '../net/nodes.js'
import { fakeCoordinator, IdleExecutor } from './fake-coordinator.js'

/** Timers that fire only when the test moves the clock. */
class ManualClock implements LinkTimers {
  private time = 0
  private nextId = 1
  private readonly pending = new Map<number, { at: number, fn: () => void }>()
  readonly now = (): number => this.time
  readonly setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++
    this.pending.set(id, { at: this.time + ms, fn })
    return id
  }

  readonly clearTimeout = (id: unknown): void => { this.pending.delete(id as number) }

  /** Moves the clock by `ms`, firing every timer due on the way (in time order, also those they set). */
  advance (ms: number): void {
    const end = this.time + ms
    for (let fired = 0; fired < 10_000; fired++) {
      let next: [number, { at: number, fn: () => void }] | undefined
      for (const entry of this.pending) if (entry[1].at <= end && (next == null || entry[1].at < next[1].at)) next = entry
      if (next == null) break
      this.pending.delete(next[0])
      this.time = next[1].at
      next[1].fn()
    }
    this.time = end
  }
}

const info = { name: 'stay-test', threads: 1, platform: 'test', labels: [] }
/** Real time for things the network does after the clock moved (a dial, a hello). */
const SETTLE_MS = 500

describe('CoordinatorLink: staying with a coordinator, and moving on when it is gone', () => {
  const nodes: GridNode[] = []
  const links: CoordinatorLink[] = []
  after(async () => {
    await Promise.all(links.map(async link => { await link.leave(100) }))
    await stopAll(...nodes)
  })

  async function coordinator (privateKey?: Parameters<typeof fakeCoordinator>[1]): Promise<Awaited<ReturnType<typeof fakeCoordinator>>> {
    const fake = await fakeCoordinator('honest without secret', privateKey)
    nodes.push(fake.node)
    return fake
  }

  /** A worker node and a link on it driven by `clock`; `welcomes` lists the coordinators that welcomed it. */
  async function worker (clock: ManualClock, init: Omit<CoordinatorLinkInit, 'info'>): Promise<{ node: GridNode, link: CoordinatorLink, welcomes: string[], forgotten: Array<{ coordinator: string, goneMs: number }> }> {
    const node = await startNode()
    nodes.push(node)
    const link = new CoordinatorLink({ node, executor: new IdleExecutor(), fetchModule: async () => { throw new Error('no code in this test') }, timers: clock },
      { info, retry: { minMs: 100, maxMs: 100 }, pollMs: 0, ...init })
    links.push(link)
    const welcomes: string[] = []
    const forgotten: Array<{ coordinator: string, goneMs: number }> = []
    link.addEventListener('welcome', evt => { welcomes.push(evt.detail.coordinator) })
    link.addEventListener('coordinator:forgotten', evt => { forgotten.push(evt.detail) })
    return { node, link, welcomes, forgotten }
  }

  async function connect (node: GridNode, to: GridNode): Promise<void> {
    await node.dial(multiaddr(addrOf(to)))
    await waitFor(async () => (await node.peerStore.get(to.peerId)).protocols.includes(JOB_PROTOCOL), 5000, 'identify')
  }

  /** Stops `coordinator` and waits until the link's session with it has ended and the connection is gone. */
  async function loseCoordinator (w: { node: GridNode, link: CoordinatorLink }, coordinator: GridNode): Promise<void> {
    await coordinator.stop()
    await waitFor(() => w.link.coordinator == null && w.node.getConnections(coordinator.peerId).length === 0, 5000, 'the session and connection to end')
  }

  it('mDNS rule: joins the first coordinator, ignores another while it lives, forgets it 30 s after it is gone and joins the next', async () => {
    const clock = new ManualClock()
    const a = await coordinator()
    const b = await coordinator()
    const w = await worker(clock, { acceptFirst: true })
    await connect(w.node, a.node)
    w.link.start()
    await waitFor(() => w.welcomes.length === 1, 5000, 'the welcome of A')
    assert.equal(w.welcomes[0], a.node.peerId.toString())
    await connect(w.node, b.node) // found later on the LAN
    clock.advance(60_000)
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
    assert.equal(b.hellos.length, 0, 'no session with B while A lives')

    await loseCoordinator(w, a.node)
    clock.advance(100) // the link looks again after a session: A is gone from here on
    clock.advance(29_800)
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
    assert.equal(w.forgotten.length, 0, 'not forgotten before 30 s')
    assert.equal(b.hellos.length, 0, 'B waits while A may come back')
    clock.advance(300)
    assert.equal(w.forgotten.length, 1)
    assert.equal(w.forgotten[0].coordinator, a.node.peerId.toString())
    assert.ok(w.forgotten[0].goneMs >= 30_000 && w.forgotten[0].goneMs <= 30_100, `gone ${w.forgotten[0].goneMs} ms`)
    await waitFor(() => w.welcomes.length === 2, 5000, 'the welcome of B')
    assert.equal(w.welcomes[1], b.node.peerId.toString())
  })

  it('a coordinator restarted with the same identity within the window gets its worker back; the other one does not', async () => {
    const clock = new ManualClock()
    const key = await newKey()
    const a = await coordinator(key)
    const b = await coordinator()
    const w = await worker(clock, { acceptFirst: true, forgetAfterMs: 30_000 })
    await connect(w.node, a.node)
    w.link.start()
    await waitFor(() => w.welcomes.length === 1, 5000, 'the welcome of A')
    await connect(w.node, b.node)
    await loseCoordinator(w, a.node)
    clock.advance(20_000)
    const again = await coordinator(key) // same peer id, new port: found again (mDNS would do it)
    assert.equal(again.node.peerId.toString(), a.node.peerId.toString())
    await connect(w.node, again.node)
    await waitFor(() => w.welcomes.length === 2, 5000, 'the welcome of A restarted')
    assert.equal(w.welcomes[1], a.node.peerId.toString())
    clock.advance(120_000)
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
    assert.deepEqual(w.forgotten, [])
    assert.equal(b.hellos.length, 0)
  })

  it('a coordinator given by peer id (bootstrap, --coordinator) is never forgotten, even with acceptFirst', async () => {
    const clock = new ManualClock()
    const a = await coordinator()
    const b = await coordinator()
    const w = await worker(clock, { coordinators: [a.node.peerId.toString()], acceptFirst: true, forgetAfterMs: 1000 })
    await connect(w.node, a.node)
    await connect(w.node, b.node)
    w.link.start()
    await waitFor(() => w.welcomes.length === 1, 5000, 'the welcome of A')
    await loseCoordinator(w, a.node)
    clock.advance(600_000)
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
    assert.deepEqual(w.forgotten, [])
    assert.equal(b.hellos.length, 0)
  })

  it("failover (the page's bootstrap list): the first in the list, then the next one once the first is forgotten", async () => {
    const clock = new ManualClock()
    const a = await coordinator()
    const b = await coordinator()
    const w = await worker(clock, { coordinators: [a.node.peerId.toString(), b.node.peerId.toString()], failover: true, forgetAfterMs: 5000 })
    await connect(w.node, b.node) // B connected first: the list's order decides
    await connect(w.node, a.node)
    w.link.start()
    await waitFor(() => w.welcomes.length === 1, 5000, 'a welcome')
    assert.equal(w.welcomes[0], a.node.peerId.toString())
    await loseCoordinator(w, a.node)
    clock.advance(4_000)
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
    assert.equal(b.hellos.length, 0, 'B waits while A may come back')
    clock.advance(1_200)
    assert.equal(w.forgotten[0]?.coordinator, a.node.peerId.toString())
    await waitFor(() => w.welcomes.length === 2, 5000, 'the welcome of B')
    assert.equal(w.welcomes[1], b.node.peerId.toString())
  })
})
