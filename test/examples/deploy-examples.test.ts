/**
 * examples/deploy, run as typed (`npx --no-install grid-deploy examples/deploy/x.mjs`, importing
 * `edge-grid/deploy` by its package name): the speed-up experiment on this machine, and the README's SSH
 * example against a real SSH host (test/helpers/ssh-host.ts); outputs checked against independent computations.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { it } from 'node:test'
import { repoRoot } from '../helpers/cli.js'
import { exitWithin, startGridDeploy } from '../helpers/deploy-project.js'
import { primesBelow } from '../helpers/expected.js'
import { startSshHost, waitForNoRemoteProcesses } from '../helpers/ssh-host.js'

const PRIMES = primesBelow(20_000_000)
const JOBS = 65 // 64 chunks counted + 1 aggregate

it('experiment.mjs deploys 1, 2 then 4 workers, runs the same flow on each (exact output) and prints a speed-up table', { timeout: 300_000 }, async () => {
  const proc = startGridDeploy(repoRoot, 'examples/deploy/experiment.mjs', [])
  const code = await exitWithin(proc, 280_000)
  assert.equal(code, 0, proc.output.slice(-4000))
  const lines = proc.output.split('\n')
  const header = lines.findIndex(l => l === 'workers │ wall time │ jobs │ speed-up │ result')
  assert.ok(header >= 0, proc.output.slice(-3000))
  const rows = lines.slice(header + 1, header + 4).map(l => /^ +(\d+) │ +(\d+\.\d\d) s │ +(\d+) │ +(\d+\.\d\d)× │ (.*)$/.exec(l))
  assert.deepEqual(rows.map(r => Number(r?.[1])), [1, 2, 4], lines.slice(header, header + 4).join('\n'))
  for (const r of rows) {
    assert.equal(Number(r![3]), JOBS)
    assert.deepEqual(JSON.parse(r![5]), ['primes below 20000000', PRIMES])
    assert.ok(Number(r![2]) > 0)
  }
  assert.equal(rows[0]![4], '1.00')
  // three deployments, each of its own size, each stopped
  for (const n of [1, 2, 4]) assert.match(proc.output, new RegExp(`\\[worker/${n - 1}@localhost\\] left`))
})

it('ssh-workers.mjs (README "Deploy with a script") runs the primes flow on two workers on an SSH host', { timeout: 240_000 }, async () => {
  const host = await startSshHost()
  try {
    const target = `root@${host.remoteAddress}:${host.port}`
    const proc = startGridDeploy(repoRoot, 'examples/deploy/ssh-workers.mjs', [target, host.userKey, host.fingerprint], host.local)
    const code = await exitWithin(proc, 200_000)
    assert.equal(code, 0, proc.output.slice(-4000))
    assert.match(proc.output, new RegExp(`^primes below 20000000: ${PRIMES}$`, 'm'))
    assert.match(proc.output, new RegExp(`^${JOBS} jobs in \\d+ ms on worker/0@${host.remoteAddress.replace(/\./g, '\\.')}, worker/1@`, 'm'))
    assert.deepEqual(await waitForNoRemoteProcesses(host), [])
    // the README shows this very script
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8')
    const script = await readFile(join(repoRoot, 'examples', 'deploy', 'ssh-workers.mjs'), 'utf8')
    const body = script.split('\n').filter(l => !l.startsWith('//')).join('\n').trim()
    assert.ok(readme.includes(body), 'README "Deploy with a script" shows examples/deploy/ssh-workers.mjs as it is')
  } finally {
    await host.close()
  }
})
