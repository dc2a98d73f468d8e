/**
 * A tab closed mid-flow loses nothing: the coordinator (`--workers 0 --http`) serves the page, one tab starts the
 * flow and is closed while it holds jobs, and a `grid-worker` process that joins afterwards finishes the flow with
 * exactly the right output.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import { Proc } from '../helpers/processes.js'
import { waitInPage, withBrowser } from '../helpers/browser.js'

it('a tab closed mid-flow: a grid-worker finishes the flow with the right output', async () => {
  const run = await copyExample('primes')
  const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws',
    '--identity', join(run, 'key'), '--http', '0', '--wait-workers', '1', '--report', join(run, 'report.json')])
  let worker: Proc | undefined
  try {
    const [, url] = await coordinator.waitFor(/browser volunteers open:\s+(http:\/\/127\.0\.0\.1:\d+\/)/)
    const [, bootstrap] = await coordinator.waitFor(/--bootstrap (\S+)/)
    await withBrowser({}, async browser => {
      const tab = await browser.open(`${url}?autostart=1&name=leaver&threads=1`)
      await coordinator.waitFor(/\+ worker\/leaver joined/)
      // let the tab finish a few of the 64 jobs (~75 ms each) and hold others, then close it without warning
      await waitInPage(tab.page, () => window.__edgeGrid!.stats(), s => s.jobsDone >= 3, 60_000, 'the tab to finish some jobs')
      await tab.page.close()
    })
    await coordinator.waitFor(/- worker\/leaver/)
    worker = new Proc('grid-worker', ['--bootstrap', bootstrap, '--threads', '2', '--name', 'finisher', '--cache', join(run, 'cache'), '--quiet'])
    const { code } = await coordinator.exited
    assert.equal(code, 0, coordinator.output.slice(-3000))
    const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
    await checkExample('primes', run, coordinator.output, report)
    assert.ok(report.perWorker['worker/finisher'] > 0, JSON.stringify(report.perWorker))
    assert.ok(report.perWorker['worker/leaver'] >= 3, JSON.stringify(report.perWorker))
    assert.equal(report.stages.count.done, 64, 'every chunk counted once')
  } finally {
    coordinator.kill('SIGKILL')
    worker?.kill('SIGKILL')
    await coordinator.exited
    await worker?.exited
  }
})
