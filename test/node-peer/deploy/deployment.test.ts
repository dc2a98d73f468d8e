/**
 * Deployment on this machine, through the library (no grid-deploy): services' output buffered from their
 * start, stop() of one service, a service killed while deployed reported as lost, d.stop() ending every
 * process; and the declaration mistakes refused with DeployUsageError before anything starts.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Deployment, DeployUsageError, ServiceStartError } from '../../../node-peer/deploy/index.js'
import type { Service } from '../../../node-peer/deploy/index.js'
import { renderTree } from '../../../node-peer/deploy/progress-tree.js'
import { primesBelow } from '../../helpers/expected.js'
import { fileURLToPath } from 'node:url'

const PRIMES_WASM = fileURLToPath(new URL('../../../../examples/primes/build/primes.wasm', import.meta.url))

function alive (pid: number | undefined): boolean {
  if (pid == null) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function firstLines (lines: AsyncIterable<string>, n: number): Promise<string[]> {
  const got: string[] = []
  for await (const l of lines) {
    got.push(l)
    if (got.length === n) break
  }
  return got
}

describe('a local deployment', { timeout: 120_000 }, () => {
  it('deploys, runs through d.grid, buffers every line from the start, reports a killed worker, and stops everything', async () => {
    const d = new Deployment({ progress: false })
    const here = d.localhost()
    const coordinator = d.coordinator({ on: here })
    const workers = d.workers(3, { on: here, labels: ['cpu'] })
    assert.deepEqual(workers.map(w => w.label), ['worker/0@localhost', 'worker/1@localhost', 'worker/2@localhost'])
    assert.throws(() => d.grid, DeployUsageError)
    const lost: Service[] = []
    d.addEventListener('lost', ({ detail }) => { lost.push(detail) })
    try {
      await d.deploy({ timeoutMs: 60_000 })
      assert.deepEqual([coordinator, ...workers].map(s => s.state), ['running', 'joined', 'joined', 'joined'])
      // read long after they were printed: the first lines are still there
      assert.match((await firstLines(coordinator.stderr(), 1))[0], /^edge-grid coordinator 12D3KooW/)
      assert.match((await firstLines(workers[2].stderr(), 1))[0], /^\[worker\/2\] peer 12D3KooW\S+, 1 thread; looking for a coordinator at \/ip4\/127\.0\.0\.1\//)

      const results: unknown[] = []
      for await (const r of d.grid.map({ wasm: PRIMES_WASM, export: 'count' }, [0, 312_500])) results.push(r)
      assert.deepEqual(results.map(r => (r as [number, number])[1]), [primesBelow(312_500), primesBelow(625_000) - primesBelow(312_500)])

      const exit = await workers[0].stop()
      assert.deepEqual([exit.code, workers[0].exitCode, workers[0].state], [0, 0, 'stopped'])
      assert.equal(alive(workers[0].pid), false)
      process.kill(workers[1].pid!, 'SIGKILL')
      await workers[1].exited
      assert.equal(workers[1].describeExit(), 'killed by SIGKILL')
      assert.equal(workers[1].state, 'exited')
      await new Promise(resolve => setImmediate(resolve))
      assert.deepEqual(lost.map(s => s.name), ['worker/1'], 'a worker that ends by itself is reported; one stopped is not')
      assert.match(renderTree(d.hosts, d.services).join('\n'), /^localhost\n {2}├─ coordinator {2}running \(pid \d+\)\n {2}├─ worker\/0 {5}stopped \(exit code 0\)\n {2}├─ worker\/1 {5}exited \(killed by SIGKILL\)\n {2}└─ worker\/2 {5}joined \(pid \d+\)$/)
    } finally {
      await d.stop()
    }
    assert.deepEqual([coordinator, ...workers].map(s => alive(s.pid)), [false, false, false, false])
    assert.equal(coordinator.exitCode, 0)
    assert.equal(lost.length, 1)
    // the output ends with the service: a reader finishes
    const tail = []
    for await (const l of workers[2].stderr()) tail.push(l)
    assert.match(tail[tail.length - 1], /left; \d+ jobs? done/)
  })

  it('a service that exits while starting fails deploy() at once, naming it and its last lines, and stops the rest', async () => {
    const d = new Deployment({ progress: false })
    const here = d.localhost()
    const coordinator = d.coordinator({ on: here, args: ['--max-peers', 'none'] })
    d.workers(1, { on: here })
    // a deploy timeout beyond the test's: only failing as soon as the service exits passes
    await assert.rejects(d.deploy({ timeoutMs: 600_000 }), (err: Error) => {
      assert.ok(err instanceof ServiceStartError)
      assert.match(err.message, /^coordinator@localhost: exited while starting \(exit code 2\); its last lines:\n {2}grid-coordinator serve: --max-peers expects an integer/)
      return true
    })
    assert.equal(alive(coordinator.pid), false)
    assert.equal(d.services[1].state, 'stopped')
  })
})

describe('stopping a deployment while it starts', { timeout: 60_000 }, () => {
  it('deploy() gives up at once (not at its timeout) and nothing is left running', async () => {
    const d = new Deployment({ progress: false })
    const here = d.localhost()
    const coordinator = d.coordinator({ on: here })
    const workers = d.workers(2, { on: here })
    const deploying = d.deploy({ timeoutMs: 600_000 }) // beyond the test's timeout: only giving up at once passes
    await new Promise(resolve => setTimeout(resolve, 300)) // some services are starting by now
    await d.stop()
    await assert.rejects(deploying, /stopped \(d\.stop\(\)\) while it was starting/)
    assert.deepEqual([coordinator, ...workers].map(s => s.pid == null || !alive(s.pid)), [true, true, true])
    assert.deepEqual([coordinator, ...workers].map(s => s.state), ['stopped', 'stopped', 'stopped'])
  })
})

describe('declaring a deployment', () => {
  it('refuses mistakes before anything starts, saying what to do', async () => {
    const d = new Deployment({ progress: false })
    const here = d.localhost()
    assert.equal(d.localhost(), here, 'one localhost per deployment')
    const box = d.ssh({ host: '10.0.0.7', user: 'grid' })
    assert.throws(() => d.coordinator({ on: box }), /the coordinator runs on d\.localhost\(\)/)
    assert.throws(() => d.workers(0, { on: here }), /n must be a whole number from 1 to 1024, got 0/)
    assert.throws(() => d.workers(2, { on: here, threads: 0 }), /threads must be a whole number ≥ 1/)
    assert.throws(() => d.workers(1, { on: new Deployment({ progress: false }).localhost() }), /the host must come from this deployment/)
    assert.throws(() => d.ssh({ host: '10.0.0.7' }), /a host is already named "10\.0\.0\.7"/)
    assert.throws(() => d.ssh({ host: '-oProxyCommand=x' }), DeployUsageError)
    assert.throws(() => d.ssh({ host: 'h', port: 70000 }), /port must be 1-65535/)
    assert.throws(() => d.ssh({ host: 'h2', user: 'a b' }), /is not a user name/)
    assert.throws(() => d.ssh({ host: 'h3', hostKey: 'not a key at all!' }), /hostKey must be a public key line \("ssh-ed25519 AAAA…", from the host's \/etc\/ssh\/ssh_host_\*_key\.pub\) or a fingerprint/)
    assert.throws(() => d.ssh({ host: 'h4', hostKey: 'SHA256:tooshort' }), DeployUsageError)
    d.coordinator({ on: here })
    assert.throws(() => d.coordinator({ on: here }), /a deployment has one coordinator/)
    const empty = new Deployment({ progress: false })
    await assert.rejects(empty.deploy(), /no coordinator: add one with d\.coordinator\(\{ on: d\.localhost\(\) \}\)/)
    await assert.rejects(empty.deploy(), /d\.deploy\(\) was called already: make a new Deployment/)
  })
})
