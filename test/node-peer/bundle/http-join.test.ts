/**
 * "Join from any Node machine" as the README tells it: grid-coordinator with `--http` prints two commands,
 * `curl -O http://…/grid-worker.mjs` and `node grid-worker.mjs --bootstrap …`; typed as printed in a fresh
 * folder (no node_modules above it, HOME there too), they download the bundle from the coordinator and
 * join it, and the flow's output is exact with every job run by that worker.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { workerBundlePath } from '../../../node-peer/bundle/bundle-path.js'
import { copyCollatz } from '../../helpers/example-copy.js'
import { checkCollatzUpTo } from '../../helpers/example-checks.js'
import { Proc } from '../../helpers/processes.js'
import { bundleEnv, emptyFolder } from '../../helpers/worker-bundle.js'

const exec = promisify(execFile)

it('the two printed commands, typed in an empty folder, download the bundle and join the coordinator', async () => {
  const end = 3001
  const run = await copyCollatz(end)
  const report = join(run, 'report.json')
  const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--wait-workers', '1', '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '0', '--no-journal', '--report', report], { cwd: run })
  const folder = await emptyFolder('edge-grid-http-join-')
  let worker: Proc | undefined
  try {
    const [, download, start] = await coordinator.waitFor(/any machine with Node ≥ 20 joins with \(nothing to install\):\n {2}(curl -O http:\/\/127\.0\.0\.1:\d+\/grid-worker\.mjs)\n {2}(node grid-worker\.mjs --bootstrap \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW\w+)\n/)
    // the first command, as typed: the file lands in the folder, the same bytes as the build
    await exec('sh', ['-c', download], { cwd: folder, env: bundleEnv(folder), timeout: 60_000 })
    assert.deepEqual(await readdir(folder), ['grid-worker.mjs'])
    assert.ok((await readFile(join(folder, 'grid-worker.mjs'))).equals(await readFile(workerBundlePath)))
    // the second, as typed (exec: the shell becomes node, so stopping it stops the worker)
    worker = new Proc('grid-worker.mjs', [], { cwd: folder, env: bundleEnv(folder), command: ['sh', '-c', `exec ${start}`] })
    let timer: ReturnType<typeof setTimeout> | undefined
    const exited = await Promise.race([coordinator.exited, new Promise<undefined>(resolve => { timer = setTimeout(() => { resolve(undefined) }, 120_000) })])
    clearTimeout(timer)
    assert.ok(exited != null, `the coordinator did not finish within 120 s:\n${coordinator.output.slice(-3000)}\nworker:\n${worker.output.slice(-2000)}`)
    assert.equal(exited.code, 0, coordinator.output.slice(-3000))
    await checkCollatzUpTo(run, coordinator.output, end)
    const summary = JSON.parse(await readFile(report, 'utf8'))
    const [name, jobs] = Object.entries(summary.perWorker)[0] as [string, number]
    assert.deepEqual(Object.keys(summary.perWorker), [name], 'one worker did everything')
    assert.equal(jobs, summary.jobs.done)
    assert.match(worker.output, new RegExp(`\\[${name}\\] joined flow "collatz"`))
    const { code } = await worker.stop('SIGINT')
    assert.equal(code, 0, worker.output)
    // its module cache went to the HOME it was given, beside the bundle
    assert.ok((await readdir(join(folder, '.cache', 'edge-grid', 'modules'))).some(f => f.endsWith('.wasm')))
  } finally {
    worker?.kill('SIGKILL')
    await coordinator.stop('SIGKILL')
  }
})
