/**
 * The grid dashboard in Chromium, on a real run: a Coordinator with the page server and two grid-worker
 * processes runs primes; the page (opened at /dashboard) shows the run live (running, jobs counted, both
 * workers), then the figures of the run's summary once it ends: per-stage done/failed/retried/replayed and
 * jobs per worker. Screenshots of both moments go to test-artifacts/.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { repoRoot } from '../helpers/cli.js'
import { waitInPage, withBrowser } from '../helpers/browser.js'
import { until, withDashboardGrid } from '../helpers/dashboard-grid.js'

const ARTIFACTS = join(repoRoot, 'test-artifacts')

/** What browser-peer/src/dashboard/main.ts exposes to tests. */
interface DashboardWindow { __dashboard?: { snapshot: () => { runs: Array<{ throughput: number[], phase: string }> } | undefined } }

interface Shown {
  readonly phase: string | undefined
  readonly jobsDone: number
  readonly stages: Record<string, Record<string, number>>
  readonly workers: Record<string, { state: string, jobsDone: number }>
  readonly status: string
}

/** What the page shows of its first run and its workers, read from the rendered DOM. */
async function shown (page: Page): Promise<Shown> {
  return await page.evaluate(() => {
    const number = (text: string | null | undefined): number => Number((text ?? '').replace(/,/g, ''))
    const run = document.querySelector('[data-run]')
    const stages: Record<string, Record<string, number>> = {}
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-stage]'))) {
      const d = el.dataset
      stages[d.stage!] = { done: number(d.done), queued: number(d.queued), inFlight: number(d.inFlight), failed: number(d.failed), retried: number(d.retried), replayed: number(d.replayed) }
    }
    const workers: Record<string, { state: string, jobsDone: number }> = {}
    for (const row of Array.from(document.querySelectorAll<HTMLElement>('tr[data-worker]'))) {
      workers[row.dataset.worker!] = { state: row.dataset.state!, jobsDone: number(row.querySelector('[data-figure="jobs-done"]')?.textContent) }
    }
    return {
      phase: run?.getAttribute('data-phase') ?? undefined,
      jobsDone: number(run?.querySelector('[data-figure="jobs-done"]')?.textContent),
      stages,
      workers,
      status: document.getElementById('status')?.textContent ?? ''
    }
  })
}

/** What the page shows when it passes `accept`, else undefined. */
async function seen (page: Page, accept: (s: Shown) => boolean): Promise<Shown | undefined> {
  const s = await shown(page)
  return accept(s) ? s : undefined
}

it('shows a real run with two workers live, then exactly the figures of its summary', async () => {
  await mkdir(ARTIFACTS, { recursive: true })
  await withDashboardGrid({ example: 'primes', spawn: 2 }, async ({ coordinator, url, run }) => {
    await withBrowser({}, async browser => {
      const { page, errors } = await browser.open(`${url}dashboard`)
      const running = coordinator.run(run)
      running.catch(() => { /* awaited below; a failing check stops the grid, which interrupts it */ })
      const live = await until(async () => await seen(page, s => s.phase === 'running' && s.jobsDone > 0 && s.jobsDone < 64 && Object.keys(s.workers).length === 2), 60_000, 'the run live with both workers')
      assert.equal(live.status, 'Live')
      assert.deepEqual(Object.keys(live.workers).sort(), ['worker/0', 'worker/1'])
      assert.ok(live.stages.count.done + live.stages.count.inFlight + live.stages.count.queued <= 64, JSON.stringify(live.stages))
      // the throughput chart has points once the run has gone on for a few seconds (and the workers' CPU time
      // comes with their heartbeats): then the screenshot shows a grid at work
      // (a run that ends sooner is pictured as it is)
      await waitInPage(page, () => {
        const run = (window as unknown as DashboardWindow).__dashboard?.snapshot()?.runs[0]
        return { points: run?.throughput.length ?? 0, phase: run?.phase }
      }, r => r.points >= 8 || r.phase !== 'running', 60_000, 'throughput history or the run\'s end')
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live.png'), fullPage: true })

      const { summary } = await running
      assert.equal(summary.ok, true)
      const end = await until(async () => await seen(page, s => s.phase === 'done'), 15_000, 'the run shown as done')
      assert.equal(end.jobsDone, summary.jobsDone)
      for (const [stage, counts] of Object.entries(summary.stages)) {
        assert.deepEqual(end.stages[stage], { done: counts.done, queued: 0, inFlight: 0, failed: counts.failed, retried: counts.retried, replayed: counts.replayed }, stage)
      }
      for (const [worker, jobs] of Object.entries(summary.perWorker)) assert.equal(end.workers[worker]?.jobsDone, jobs, worker)
      assert.ok(Object.values(summary.perWorker).every(n => n > 0), 'both workers ran jobs')
      const events = await page.locator('#events li').allTextContents()
      assert.ok(events.some(e => e.includes('worker/0 joined')) && events.some(e => /run of "primes" done: \d+ jobs/.test(e)), events.join('\n'))
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-done.png'), fullPage: true })
      // each page links to the other
      assert.equal(await page.getAttribute('#volunteer-link', 'href'), './')
      assert.match(await (await fetch(url)).text(), /href="\.\/dashboard"/)
      assert.deepEqual(errors, [])
    })
  })
})
