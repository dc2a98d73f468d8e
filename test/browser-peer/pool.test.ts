/**
 * WebWorkerPool specifics, scripted in Chromium on the executor test page: resizing at runtime (grow, shrink
 * while busy, no job lost), the CPU-time figure, and the per-job timeout with many batch-mates.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { startPageServer } from '../../node-peer/http/page-server.js'
import type { PageServer } from '../../node-peer/http/page-server.js'
import { loadExecutorFixtures } from '../fixtures/executor/fixtures.js'
import { withBrowser } from '../helpers/browser.js'
import './page-types.js'

const fixtures = await loadExecutorFixtures()
const double = Buffer.from(fixtures.double).toString('base64')
const spin = Buffer.from(fixtures.spin).toString('base64')

describe('WebWorkerPool in Chromium: resizing, CPU time, timeouts', () => {
  let server: PageServer

  before(async () => { server = await startPageServer({ port: 0, config: () => ({ bootstrap: [] }) }) })
  after(async () => { await server.close() })

  async function onPage<T> (body: (page: Page) => Promise<T>): Promise<T> {
    return await withBrowser({}, async browser => {
      const { page, errors } = await browser.open(`${server.url}executor-suite.html`)
      await page.waitForFunction(() => window.__executorSuite != null, undefined, { timeout: 10_000 })
      const result = await body(page)
      assert.deepEqual(errors, [])
      return result
    })
  }

  it('grows and shrinks at runtime; a shrink while busy loses no job and stops the surplus after its batch', async () => {
    const r = await onPage(async page => await page.evaluate(async ([doubleB64, spinB64]) => {
      const { WebWorkerPool, sha256Hex, encodeValue, decodeValue, fromBase64 } = window.__executorSuite!.lib
      const pool = new WebWorkerPool({ threads: 1 })
      const d = fromBase64(doubleB64)
      const s = fromBase64(spinB64)
      const dh = await sha256Hex(d)
      const sh = await sha256Hex(s)
      await pool.addModule(dh, d)
      await pool.addModule(sh, s)
      const job = (id: number, module: string, fn: string, input: unknown, timeoutMs = 30_000): unknown => ({ id, fn: { module, export: fn }, input: encodeValue(input), timeoutMs })
      const out: Record<string, unknown> = { initial: [pool.slots, pool.workers] }
      out.grown = [pool.setThreads(4), pool.slots, pool.workers]
      // three workers spin (stopped by a 2 s timeout): a fourth batch finishing before any of them proves the
      // four workers run in parallel (an ordering check with a wide margin, not a timing one)
      const spinning = Promise.all([0, 1, 2].map(async b => await pool.run([job(b, sh, 'spin', 0, 2000)])))
      out.order = await Promise.race([pool.run([job(9, dh, 'double', 21)]).then(() => 'fourth batch first'), spinning.then(() => 'spins first')])
      out.spun = (await spinning).flat().map(o => o.error?.name)
      // shrink to 1 while 4 batches of 200 jobs run: every job still gets its result
      const batches = [0, 1, 2, 3].map(b => Array.from({ length: 200 }, (_, i) => job(b * 1000 + i, dh, 'double', b * 1000 + i)))
      const running = Promise.all(batches.map(async batch => await pool.run(batch)))
      out.shrunk = pool.setThreads(1)
      const results = (await running).flat()
      out.results = results.length
      out.allRight = results.every(o => o.ok && decodeValue(o.outputs![0].bytes) === 2 * o.id)
      out.after = [pool.slots, pool.workers]
      // with one worker, two spinning batches run one after the other
      const t0 = performance.now()
      await Promise.all([0, 1].map(async b => await pool.run([job(b, sh, 'spin', 0, 300)])))
      out.serialMs = performance.now() - t0
      out.stats = pool.stats
      await pool.close()
      return out
    }, [double, spin] as const))
    assert.deepEqual(r.initial, [1, 1])
    assert.deepEqual(r.grown, [4, 4, 4])
    assert.deepEqual(r.spun, ['JobTimeoutError', 'JobTimeoutError', 'JobTimeoutError'])
    assert.equal(r.order, 'fourth batch first', 'a batch waited for spinning workers although a fourth was free')
    assert.equal(r.shrunk, 1)
    assert.equal(r.results, 800)
    assert.equal(r.allRight, true)
    assert.deepEqual(r.after, [1, 1], 'surplus workers stopped after their batches')
    assert.ok((r.serialMs as number) >= 600, `one worker runs two 300 ms timeouts one after the other (${Math.round(r.serialMs as number)} ms)`)
    const stats = r.stats as { workersStarted: number, timeouts: number, busyMs: number }
    assert.equal(stats.timeouts, 5)
    assert.equal(stats.workersStarted, 4 + 5, 'each timeout replaced its worker')
    assert.ok(stats.busyMs >= 3 * 2000 + 2 * 300, `busy time counts every worker's time (${Math.round(stats.busyMs)} ms)`)
  })
})
