/**
 * The worker page with a join secret: a tab with a wrong `?secret=` finds the coordinator's proof wrong, says
 * why and leaves without answering (no jobs); a tab with the right one checks the coordinator's proof, proves
 * itself and completes the flow (both proofs computed with the browser's WebCrypto).
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import { Proc } from '../helpers/processes.js'
import { waitInPage, withBrowser } from '../helpers/browser.js'

const SECRET = 'tab secret: ünïcode & spaces'

it('a tab with ?secret= joins a coordinator with --secret; with a wrong secret it refuses the coordinator', async () => {
  const run = await copyExample('primes')
  const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws',
    '--identity', join(run, 'key'), '--http', '0', '--secret', SECRET, '--wait-workers', '1', '--report', join(run, 'report.json')])
  try {
    const [, url] = await coordinator.waitFor(/browser volunteers open:\s+(http:\/\/127\.0\.0\.1:\d+\/)/)
    await withBrowser({}, async browser => {
      const wrong = await browser.open(`${url}?autostart=1&name=wrong&secret=guess`)
      await waitInPage(wrong.page, () => document.getElementById('log')?.textContent ?? '', log => /does not know the join secret \(the proof in its challenge is wrong/.test(log), 20_000, 'the tab to refuse the coordinator')
      await coordinator.waitFor(/! refused peer …\S+: left before proving the join secret/)
      await wrong.page.close()
      await browser.open(`${url}?autostart=1&name=right&secret=${encodeURIComponent(SECRET)}`)
      const { code } = await coordinator.exited
      assert.equal(code, 0, coordinator.output.slice(-3000))
    })
    const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
    await checkExample('primes', run, coordinator.output, report)
    assert.deepEqual(Object.keys(report.perWorker), ['worker/right'])
    assert.doesNotMatch(coordinator.output, /worker\/wrong joined|wrong join proof/, 'the wrong tab never sent a proof')
  } finally {
    coordinator.kill('SIGKILL')
    await coordinator.exited
  }
})
