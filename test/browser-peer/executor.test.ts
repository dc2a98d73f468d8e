/**
 * The executor compliance suite (core/executor/executor-suite.ts) run INSIDE real Chromium against WebWorkerPool,
 * on the built test page (browser-peer/dist/executor-suite.html) served by the page server: once on a
 * cross-origin-isolated page (timeouts watched through SharedArrayBuffer) and once without isolation
 * (timeouts watched through a message per job). Fixtures are assembled here in Node and passed in; the WASI
 * suite (core/executor/wasi-suite.ts) runs on the same page with a C command built by clang, then the
 * JavaScript function suite (core/executor/js-suite.ts: QuickJS inside the Web Workers).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { executorSuite } from '../../core/executor/executor-suite.js'
import type { ExecutorFixtures } from '../../core/executor/executor-suite.js'
import { startPageServer } from '../../node-peer/http/page-server.js'
import type { PageServer } from '../../node-peer/http/page-server.js'
import { wasiExecutorSuite } from '../../core/executor/wasi-suite.js'
import { jsExecutorSuite } from '../../core/executor/js-suite.js'
import { buildWasiFixture, loadExecutorFixtures } from '../fixtures/executor/fixtures.js'
import { withBrowser } from '../helpers/browser.js'
import type { SuiteResult } from './page-types.js'


const fixtures = await loadExecutorFixtures()
const wasi = await buildWasiFixture()
const encoded = Object.fromEntries(Object.entries({ ...fixtures, wasi }).map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString('base64')])) as Record<keyof ExecutorFixtures | 'wasi', string>

// the suite's test names, learned by registering it with a collector (nothing runs)
const names: string[] = []
executorSuite({ test: name => { names.push(name) } }, async () => { throw new Error('not run') }, fixtures)
wasiExecutorSuite({ test: name => { names.push(name) } }, async () => { throw new Error('not run') }, { wasi, double: fixtures.double })
jsExecutorSuite({ test: name => { names.push(name) } }, async () => { throw new Error('not run') }, { double: fixtures.double })

for (const isolated of [true, false]) {
  describe(`WebWorkerPool in Chromium: executor compliance suite (${isolated ? 'cross-origin isolated, shared-memory timeouts' : 'not isolated, message timeouts'})`, () => {
    let server: PageServer
    let results: Map<string, SuiteResult>
    let pageInfo: { crossOriginIsolated: boolean, errors: string[] }

    before(async () => {
      server = await startPageServer({ port: 0, config: () => ({ bootstrap: [] }), crossOriginIsolation: isolated })
      const out = await withBrowser({}, async browser => {
        const { page, errors } = await browser.open(`${server.url}executor-suite.html`)
        await page.waitForFunction(() => window.__executorSuite != null, undefined, { timeout: 10_000 })
        const coi = await page.evaluate(() => window.__executorSuite!.crossOriginIsolated)
        const list = await page.evaluate(async ([f, threads]) => await window.__executorSuite!.run(f, threads), [encoded, 2] as const)
        return { list, coi, errors }
      })
      results = new Map(out.list.map(r => [r.name, r]))
      pageInfo = { crossOriginIsolated: out.coi, errors: out.errors }
    })

    after(async () => { await server?.close() })

    it(`the page is ${isolated ? '' : 'not '}cross-origin isolated and ran every test of the suite`, () => {
      assert.equal(pageInfo.crossOriginIsolated, isolated)
      assert.deepEqual([...results.keys()], names)
      assert.deepEqual(pageInfo.errors, [])
    })

    for (const name of names) {
      it(name, () => {
        const r = results.get(name)
        assert.ok(r != null, 'ran in the browser')
        assert.ok(r.ok, r.error)
      })
    }
  })
}
