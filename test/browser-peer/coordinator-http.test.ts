/**
 * `grid-coordinator --http`: the coordinator serves the worker page itself with its own address filled in,
 * so "open this URL" is all a volunteer does. One Chromium tab opens the printed URL and runs the flow.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import { Proc } from '../helpers/processes.js'
import { withBrowser } from '../helpers/browser.js'

it('a tab opening the URL printed by grid-coordinator --http completes the flow', async () => {
  const run = await copyExample('mandelbrot')
  const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws',
    '--identity', join(run, 'key'), '--http', '0', '--wait-workers', '1', '--report', join(run, 'report.json')])
  try {
    const [, url] = await coordinator.waitFor(/browser volunteers open:\s+(http:\/\/127\.0\.0\.1:\d+\/)/)
    const config = await (await fetch(`${url}config.json`)).json() as { bootstrap: string[] }
    assert.ok(config.bootstrap.length > 0 && config.bootstrap.every(a => a.includes('/ws/p2p/')), JSON.stringify(config))
    await withBrowser({}, async browser => {
      await browser.open(`${url}?autostart=1&name=clicked`)
      const { code } = await coordinator.exited
      assert.equal(code, 0, coordinator.output.slice(-3000))
    })
    const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
    await checkExample('mandelbrot', run, coordinator.output, report)
    assert.deepEqual(Object.keys(report.perWorker), ['worker/clicked'])
  } finally {
    coordinator.kill('SIGKILL')
    await coordinator.exited
  }
})

it('--http with only a TCP --listen address adds a WebSocket one, says so, and the page gets it as bootstrap', async () => {
  const run = await copyExample('mandelbrot')
  const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', '/ip4/127.0.0.1/tcp/0',
    '--identity', join(run, 'key'), '--http', '0', '--wait-workers', '1'])
  try {
    const [, url] = await coordinator.waitFor(/browser volunteers open:\s+(http:\/\/127\.0\.0\.1:\d+\/)/)
    assert.match(coordinator.output, /no listen address is one: also listening on \/ip4\/127\.0\.0\.1\/tcp\/0\/ws/)
    assert.match(coordinator.output, /listening on \/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\//)
    const config = await (await fetch(`${url}config.json`)).json() as { bootstrap: string[] }
    assert.ok(config.bootstrap.length > 0 && config.bootstrap.every(a => /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\//.test(a)), JSON.stringify(config))
  } finally {
    coordinator.kill('SIGKILL')
    await coordinator.exited
  }
})
