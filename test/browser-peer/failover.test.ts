/**
 * The page with a list of coordinators (`?bootstrap=A,B`): it works for one at a time; when that one finishes
 * its flow and exits, the tab waits `forget-after` seconds for it to come back, then joins the other one in the
 * list and completes that flow too. Real grid-coordinator processes on 127.0.0.1, real Chromium.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startPageServer } from '../../node-peer/http/page-server.js'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import type { ExampleName } from '../helpers/example-checks.js'
import { Proc } from '../helpers/processes.js'
import { waitInPage, withBrowser, within } from '../helpers/browser.js'
import './page-types.js'

interface Started { readonly example: ExampleName, readonly run: string, readonly proc: Proc, readonly id: string, readonly ws: string }

async function startCoordinator (example: ExampleName): Promise<Started> {
  const run = await copyExample(example)
  const proc = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', '/ip4/127.0.0.1/tcp/0/ws',
    '--identity', join(run, 'key'), '--wait-workers', '1', '--report', join(run, 'report.json')])
  const [, ws, id] = await proc.waitFor(/listening on (\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/(\S+))/)
  return { example, run, proc, id, ws }
}

it('a tab with ?bootstrap=A,B finishes the flow of the first coordinator, which exits, then joins the second and finishes its flow', async () => {
  const server = await startPageServer({ port: 0, config: () => ({ bootstrap: [] }) })
  const started: Started[] = []
  try {
    started.push(await startCoordinator('fibonacci-wat'), await startCoordinator('wordcount'))
    const list = started.map(c => c.ws).join(',')
    await withBrowser({}, async browser => {
      const { page, errors } = await browser.open(`${server.url}?autostart=1&name=tab&forget-after=2&bootstrap=${encodeURIComponent(list)}`)
      const exits = started.map(async (c, i) => { await c.proc.exited; return i })
      const firstIndex = await within(Promise.race(exits), 90_000, () => `no coordinator finished; page errors: ${errors.join('; ')}`)
      const [first, second] = firstIndex === 0 ? started : [started[1], started[0]]
      const { code } = await first.proc.exited
      assert.equal(code, 0, first.proc.output.slice(-3000))
      assert.equal(second.proc.output.includes('+ worker/tab joined'), false, 'the second coordinator waits while the first one lives')
      // the tab waits 2 s for the first one to come back, then joins the second
      await waitInPage(page, () => window.__edgeGrid?.logLines() ?? [], log => log.some(l => / gone for \d+ s; trying the next one/.test(l)), 30_000, 'the tab to give up on the first coordinator')
      const end = await within(second.proc.exited, 90_000, () => `the second coordinator did not finish; page errors: ${errors.join('; ')}`)
      assert.equal(end.code, 0, second.proc.output.slice(-3000))
      const log = await page.evaluate(() => window.__edgeGrid?.logLines() ?? [])
      const story = log.flatMap(line => {
        const joined = /joined flow "([^"]+)" .* at coordinator …(\S+) with/.exec(line)
        if (joined != null) return [`joined ${joined[1]} at ${joined[2]}`]
        const forgot = /coordinator …(\S+) gone for \d+ s; trying the next one in the list/.exec(line)
        return forgot != null ? [`forgot ${forgot[1]}`] : []
      })
      const tail = (c: Started): string => story.find(s => s.startsWith(`joined ${c.example} at `))?.split(' at ')[1] ?? '?'
      assert.deepEqual(story, [`joined ${first.example} at ${tail(first)}`, `forgot ${tail(first)}`, `joined ${second.example} at ${tail(second)}`], log.join('\n'))
      assert.ok(first.id.endsWith(tail(first)) && second.id.endsWith(tail(second)), story.join(', '))
    })
    for (const c of started) {
      const report = JSON.parse(await readFile(join(c.run, 'report.json'), 'utf8'))
      await checkExample(c.example, c.run, c.proc.output, report)
      assert.deepEqual(Object.keys(report.perWorker), ['worker/tab'], c.example)
    }
  } finally {
    for (const c of started) c.proc.kill('SIGKILL')
    await Promise.all(started.map(async c => await c.proc.exited))
    await server.close()
  }
})
