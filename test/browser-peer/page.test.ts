/**
 * The volunteer page end to end: a real `grid-coordinator --workers 0` process, the built page served by the
 * page server, and one Chromium tab. The tab is opened BEFORE the coordinator starts (it must keep dialling),
 * runs whole flows (CPU-bound jobs, a feedback loop of tiny jobs) with the right output, pauses
 * (a graceful leave) and donates again. Each flow is a new coordinator process, so the tab also re-joins a
 * restarted coordinator every time. After each flow the jobs/s figure reads 0 (not the flow's last rate), and the
 * switch's hint always says what the switch does in the current state. A screenshot of the page at work goes to
 * test-artifacts/browser-page.png.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { startPageServer } from '../../node-peer/http/page-server.js'
import type { PageServer } from '../../node-peer/http/page-server.js'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import { repoRoot, runCoordinator } from '../helpers/cli.js'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import { Proc } from '../helpers/processes.js'
import { waitInPage, withBrowser, within } from '../helpers/browser.js'
import type { TestPage } from '../helpers/browser.js'
import { freePort } from '../node-peer/net/nodes.js'
import type { PageStats } from './page-types.js'

describe('browser page: one tab is the only worker of a coordinator', () => {
  let dir: string
  let identity: string
  let listen: string[]
  let server: PageServer

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-grid-page-'))
    identity = join(dir, 'coordinator.key')
    const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
    const ws = await freePort()
    listen = ['--listen', `/ip4/127.0.0.1/tcp/${ws}/ws`]
    const bootstrap = `/ip4/127.0.0.1/tcp/${ws}/ws/p2p/${peerId.toString()}`
    server = await startPageServer({ port: 0, config: () => ({ bootstrap: [bootstrap] }) })
  })

  after(async () => { await server?.close() })

  it('runs primes twice (pausing mid-flow, then donating again) and collatz with the right output; screenshot saved while donating', async () => {
    await withBrowser({}, async browser => {
      const tab = await browser.open(`${server.url}?autostart=1&name=tab-a`)
      const stats = async (): Promise<PageStats> => await tab.page.evaluate(() => window.__edgeGrid!.stats())
      await tab.page.waitForFunction(() => window.__edgeGrid != null, undefined, { timeout: 15_000 })
      assert.equal((await stats()).sharedMemory, true, 'served cross-origin isolated')

      // 1. primes: 64 CPU-bound jobs + the aggregate, all on the tab
      const primes = await copyExample('primes')
      const result = await runCoordinator([join(primes, 'flow.json'), '--workers', '0', ...listen, '--identity', identity, '--wait-workers', '1', '--report', join(primes, 'report.json')], { timeoutMs: 120_000 })
      assert.equal(result.code, 0, `exit code; stderr:\n${result.stderr}\npage log:\n${await pageLog(tab)}`)
      const report = JSON.parse(await readFile(join(primes, 'report.json'), 'utf8'))
      await checkExample('primes', primes, result.stdout, report)
      assert.deepEqual(Object.keys(report.perWorker), ['worker/tab-a'], 'only the tab worked')
      assert.match(result.stderr, /\+ worker\/tab-a joined \(\d+ threads?, browser/)
      const afterPrimes = await waitInPage(tab.page, () => window.__edgeGrid!.stats(), s => s.jobsDone === report.jobs.done, 10_000, 'the tab counting every job')
      assert.equal(afterPrimes.flow, 'primes')
      assert.ok(afterPrimes.busyMs > 0)
      await assertRateReset(tab, 'primes')
      await assertHintMatchesState(tab)

      // 2. primes again, paused in the middle (a graceful leave), then donating again. Its 64 jobs take ~75 ms each,
      // so a pause after a few jobs always lands mid-flow (mandelbrot's rows are too quick to pause reliably)
      const paused2 = await copyExample('primes')
      const coordinator = new Proc('grid-coordinator', [join(paused2, 'flow.json'), '--workers', '0', ...listen, '--identity', identity, '--wait-workers', '1', '--report', join(paused2, 'report.json')])
      try {
        const before = (await stats()).jobsDone
        await waitInPage(tab.page, () => window.__edgeGrid!.stats(), s => s.jobsDone > before + 4 && s.state === 'donating', 60_000, 'primes chunks running on the tab')
        await tab.page.evaluate(async () => { await window.__edgeGrid!.pause() })
        const paused = await stats()
        assert.equal(paused.state, 'paused')
        assert.match(await assertHintMatchesState(tab), /^Turn on to run jobs/)
        assert.ok(paused.jobsDone < before + 64, `paused before the end (${paused.jobsDone - before} chunks done)`)
        await coordinator.waitFor(/- worker\/tab-a left/, 10_000)
        await new Promise(resolve => setTimeout(resolve, 500))
        assert.equal((await stats()).jobsDone, paused.jobsDone, 'no jobs while paused')
        await tab.page.evaluate(() => { window.__edgeGrid!.donate() })
        // the picture of the page at work: donating, figures moving
        await waitInPage(tab.page, () => window.__edgeGrid!.stats(), s => s.state === 'donating' && s.jobsDone > paused.jobsDone + 4, 60_000, 'donating again')
        await assertHintMatchesState(tab)
        await mkdir(join(repoRoot, 'test-artifacts'), { recursive: true })
        await tab.page.screenshot({ path: join(repoRoot, 'test-artifacts', 'browser-page.png'), fullPage: true })
        const end = await within(coordinator.exited, 120_000, () => `primes did not finish in 120 s; output:\n${coordinator.output.slice(-2000)}`)
        assert.equal(end.code, 0, coordinator.output.slice(-3000))
        const report2 = JSON.parse(await readFile(join(paused2, 'report.json'), 'utf8'))
        await checkExample('primes', paused2, coordinator.output, report2)
        assert.equal((coordinator.output.match(/\+ worker\/tab-a joined/g) ?? []).length, 2, 'joined, left, joined again')
      } finally {
        await coordinator.stop('SIGKILL', 5000)
      }

      // 3. collatz: a feedback loop of ~870k tiny jobs, the batched job protocol at speed
      const collatz = await copyExample('collatz')
      const third = await runCoordinator([join(collatz, 'flow.json'), '--workers', '0', ...listen, '--identity', identity, '--wait-workers', '1', '--report', join(collatz, 'report.json')], { timeoutMs: 180_000 })
      assert.equal(third.code, 0, `exit code; stderr:\n${third.stderr}`)
      const report3 = JSON.parse(await readFile(join(collatz, 'report.json'), 'utf8'))
      await checkExample('collatz', collatz, third.stdout, report3)
      assert.deepEqual(Object.keys(report3.perWorker), ['worker/tab-a'])
      await assertRateReset(tab, 'collatz') // ~870k jobs at tens of thousands a second: a stale rate would show

      // refused WebSocket dials are expected: the tab keeps dialling while no coordinator runs
      assert.deepEqual(tab.errors.filter(e => !/WebSocket connection to .* failed: .*ERR_CONNECTION_REFUSED/.test(e)), [])
    })
  })
})

/**
 * Once the tab has heard that `flow` ended, jobs/s reads 0 at once (the page resets it when the flow ends),
 * not the last seconds of the flow that the donor's 5 s window still holds.
 */
async function assertRateReset (tab: TestPage, flow: string): Promise<void> {
  await waitInPage(tab.page, () => window.__edgeGrid!.logLines(), lines => lines.some(l => l.startsWith(`flow "${flow}" finished`)), 30_000, `the tab hearing that ${flow} ended`)
  const shown = await tab.page.evaluate(() => document.getElementById('jobs-rate')!.textContent)
  assert.equal(shown, '0', `jobs/s after ${flow} ended`)
}

/** The switch's hint, read in the same turn of the page as its state, says what the switch does now. */
async function assertHintMatchesState (tab: TestPage): Promise<string> {
  const { state, donating, checked, hint } = await tab.page.evaluate(() => ({
    state: window.__edgeGrid!.stats().state,
    donating: window.__edgeGrid!.stats().donating,
    checked: document.getElementById('donate')!.getAttribute('aria-checked'),
    hint: document.getElementById('donate-hint')!.textContent ?? ''
  }))
  assert.equal(checked, String(donating), 'the switch shows whether the tab donates')
  const expected = state === 'pausing'
    ? /^Pausing: finishing the jobs/
    : !donating ? /^Turn on to run jobs/ : state === 'donating' ? /^Donating: turn off to stop/ : /Turn off to stop\.$/
  assert.match(hint, expected, `hint in state ${state} (donating: ${String(donating)})`)
  return hint
}

async function pageLog (tab: TestPage): Promise<string> {
  return (await tab.page.evaluate(() => window.__edgeGrid?.logLines() ?? []).catch(() => [])).join('\n')
}
