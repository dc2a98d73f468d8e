/**
 * Cancelling a run from the dashboard (Chromium, a real run on a grid-worker process): the page is read-only
 * until the viewer proves the submit secret; a wrong secret is refused and unlocks nothing; the right one
 * shows a cancel button per run going on, and a click stops that run as its signal would
 * (CoordinatorInterruptedError, shown as cancelled). The secret never appears in the page or the feed.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { CoordinatorInterruptedError } from '../../node-peer/coordinator/errors.js'
import { withBrowser } from '../helpers/browser.js'
import { until, withDashboardGrid } from '../helpers/dashboard-grid.js'

const SECRET = 'correct horse battery staple'

it('a viewer who proves the submit secret cancels a run; a wrong secret unlocks nothing', async () => {
  await withDashboardGrid({ example: 'primes', spawn: 1, submitSecret: SECRET }, async ({ coordinator, url, run }) => {
    await withBrowser({}, async browser => {
      const { page, errors } = await browser.open(`${url}dashboard`)
      const running = coordinator.run(run)
      const outcome = running.then(() => 'finished', (err: Error) => err)
      await until(async () => await page.locator(`[data-run="${run.runId}"][data-phase="running"]`).count() > 0 ? true : undefined, 60_000, 'the run shown running')
      assert.equal(await page.locator('[data-cancel]').count(), 0, 'no cancel button before the secret is proven')

      const input = page.locator('#control input[type="password"]')
      await input.fill('not the secret')
      await input.press('Enter')
      await page.locator('#control .error').waitFor({ timeout: 10_000 })
      assert.match(await page.locator('#control .error').textContent() ?? '', /wrong proof/)
      assert.equal(await page.evaluate(() => (window as unknown as { __dashboard: { unlocked: () => boolean } }).__dashboard.unlocked()), false)
      assert.equal(await page.locator('[data-cancel]').count(), 0)

      await page.locator('#control input[type="password"]').fill(SECRET)
      await page.locator('#control input[type="password"]').press('Enter')
      await page.locator('[data-control="unlocked"]').waitFor({ timeout: 10_000 })
      const cancel = page.locator(`[data-cancel="${run.runId}"]`)
      await cancel.waitFor({ timeout: 10_000 })
      page.once('dialog', dialog => { void dialog.accept() })
      await cancel.click()
      const result = await outcome
      assert.ok(result instanceof CoordinatorInterruptedError, String(result))
      await until(async () => await page.locator(`[data-run="${run.runId}"][data-phase="cancelled"]`).count() > 0 ? true : undefined, 15_000, 'the run shown cancelled')
      const events = await page.locator('#events li').allTextContents()
      assert.ok(events.some(e => e.includes('a dashboard viewer failed to prove the submit secret')), events.join('\n'))
      assert.ok(events.some(e => e.includes('cancelled from the dashboard')), events.join('\n'))

      // the secret is in no page, no pushed snapshot, no storage
      const feed = await page.evaluate(() => JSON.stringify((window as unknown as { __dashboard: { snapshot: () => unknown } }).__dashboard.snapshot()))
      const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))
      for (const text of [await page.content(), feed, storage]) assert.ok(!text.includes(SECRET))
      // the wrong secret's 403 is the only error the browser logs
      assert.deepEqual(errors.filter(e => !e.includes('status of 403')), [])
    })
  })
})
