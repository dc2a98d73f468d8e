/**
 * The worker page with a join secret: a tab with a wrong `?secret=` is refused and gets no jobs; a tab with the
 * right one completes the flow (the proof is computed with the browser's WebCrypto).
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import { Proc } from '../helpers/processes.js'
import { withBrowser } from '../helpers/browser.js'

const SECRET = 'tab secret: ünïcode & spaces'

it('a tab with ?secret= joins a coordinator with --secret; a wrong secret is refused', async () => {
  const run = await copyExample('primes')
  const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws',
    '--identity', join(run, 'key'), '--http', '0', '--secret', SECRET, '--wait-workers', '1', '--report', join(run, 'report.json')])
  try {
    const [, url] = await coordinator.waitFor(/browser volunteers open:\s+(http:\/\/127\.0\.0\.1:\d+\/)/)
    await withBrowser({}, async browser => {
      const wrong = await browser.open(`${url}?autostart=1&name=wrong&secret=guess`)
      await coordinator.waitFor(/! refused peer …\S+: wrong join proof/)
      await wrong.page.close()
      await browser.open(`${url}?autostart=1&name=right&secret=${encodeURIComponent(SECRET)}`)
      const { code } = await coordinator.exited
      assert.equal(code, 0, coordinator.output.slice(-3000))
    })
    const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
    await checkExample('primes', run, coordinator.output, report)
    assert.deepEqual(Object.keys(report.perWorker), ['worker/right'])
    assert.doesNotMatch(coordinator.output, /worker\/wrong joined/)
  } finally {
    coordinator.kill('SIGKILL')
    await coordinator.exited
  }
})
