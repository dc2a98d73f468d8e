/**
 * A browser tab on the dashboard (Chromium, two tabs: a volunteer page donating and the dashboard): the tab
 * is listed as a worker of kind `tab`, busy while it runs jobs; when it pauses it says so in a heartbeat and
 * the dashboard shows it paused, with the CPU time it donated.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import type { Page } from 'playwright-core'
import { withBrowser } from '../helpers/browser.js'
import { until, withDashboardGrid } from '../helpers/dashboard-grid.js'

/** The dashboard's row of `worker`, as shown. */
async function row (page: Page, worker: string): Promise<{ kind: string, state: string, jobs: string, cpu: string } | undefined> {
  return await page.evaluate(id => {
    const tr = Array.from(document.querySelectorAll<HTMLElement>('tr[data-worker]')).find(r => r.dataset.worker === id)
    if (tr == null) return undefined
    const cells = Array.from(tr.querySelectorAll('td')).map(td => td.textContent ?? '')
    return { kind: cells[1], state: tr.dataset.state ?? '', jobs: cells[5], cpu: cells[7] }
  }, worker)
}

it('lists a donating tab as a busy worker of kind tab, then paused with its CPU time', async () => {
  await withDashboardGrid({ example: 'primes', spawn: 0 }, async ({ coordinator, url, run }) => {
    await withBrowser({}, async browser => {
      const dashboard = await browser.open(`${url}dashboard`)
      const running = coordinator.run(run)
      running.catch(() => { /* never finishes here: the only worker pauses, and stopping the grid interrupts it */ })
      const volunteer = await browser.open(`${url}?autostart=1&name=t1&threads=1`)
      const busy = await until(async () => {
        const r = await row(dashboard.page, 'worker/t1')
        return r != null && r.state === 'busy' && Number(r.jobs) > 0 ? r : undefined
      }, 60_000, 'the tab shown busy with jobs done')
      assert.equal(busy.kind, 'tab')
      await volunteer.page.evaluate(async () => { await (window as unknown as { __edgeGrid: { pause: () => Promise<void> } }).__edgeGrid.pause() })
      const paused = await until(async () => {
        const r = await row(dashboard.page, 'worker/t1')
        return r?.state === 'paused' ? r : undefined
      }, 20_000, 'the tab shown paused')
      assert.match(paused.cpu, /^\d+(\.\d)? s$|min/, `CPU time donated: ${paused.cpu}`)
      const events = await dashboard.page.locator('#events li').allTextContents()
      assert.ok(events.some(e => /worker\/t1 joined \(tab, 1 thread, labels browser\)/.test(e)), events.join('\n'))
      assert.ok(events.some(e => e.includes('worker/t1 left')), events.join('\n'))
      assert.deepEqual(dashboard.errors, [])
    })
  })
})
