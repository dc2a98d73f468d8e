/**
 * The grid with real processes on loopback: a coordinator with no embedded workers and two `grid-worker`
 * processes. The workers start BEFORE the coordinator, and every example is a new coordinator process with
 * the same identity and port, so each run also proves that workers re-join a restarted coordinator.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { runCoordinator } from '../helpers/cli.js'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample, EXAMPLES } from '../helpers/example-checks.js'
import { Proc } from '../helpers/processes.js'
import { freePort } from './net/nodes.js'

describe('grid: coordinator --workers 0 with two grid-worker processes', () => {
  let dir: string
  let identity: string
  let listen: string[]
  let bootstrap: string
  const workers: Proc[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-grid-grid-'))
    identity = join(dir, 'coordinator.key')
    const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
    const tcp = await freePort()
    const ws = await freePort()
    listen = ['--listen', `/ip4/127.0.0.1/tcp/${tcp}`, '--listen', `/ip4/127.0.0.1/tcp/${ws}/ws`]
    bootstrap = `/ip4/127.0.0.1/tcp/${tcp}/p2p/${peerId.toString()}`
    // started before any coordinator exists: they must keep trying and join when it comes up
    for (const name of ['a', 'b']) {
      workers.push(new Proc('grid-worker', ['--bootstrap', bootstrap, '--threads', '1', '--name', name, '--cache', join(dir, `cache-${name}`), '--quiet']))
    }
    await workers[0].waitFor(/looking for a coordinator/)
    await workers[1].waitFor(/looking for a coordinator/)
  })

  after(async () => {
    for (const w of workers) w.kill('SIGKILL')
    await Promise.all(workers.map(async w => await w.exited))
  })

  for (const name of EXAMPLES) {
    it(`${name}: correct output, jobs done by both workers`, async () => {
      const run = await copyExample(name)
      const result = await runCoordinator([join(run, 'flow.json'), '--workers', '0', ...listen, '--identity', identity, '--wait-workers', '2', '--report', join(run, 'report.json')])
      assert.equal(result.code, 0, `exit code; stderr:\n${result.stderr}`)
      const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
      await checkExample(name, run, result.stdout, report)
      assert.equal(report.perWorker.local, undefined, 'no embedded worker ran anything')
      if (name !== 'fibonacci-wat') { // fibonacci is one job at a time: either worker may take them all
        assert.ok(report.perWorker['worker/a'] > 0, `worker a did jobs: ${JSON.stringify(report.perWorker)}`)
        assert.ok(report.perWorker['worker/b'] > 0, `worker b did jobs: ${JSON.stringify(report.perWorker)}`)
      }
      assert.match(result.stderr, /\+ worker\/a joined/)
      assert.match(result.stderr, /\+ worker\/b joined/)
    })
  }

  it('workers fetched the code once and cached it on disk', async () => {
    const { readdir } = await import('node:fs/promises')
    const cached = await readdir(join(dir, 'cache-a'))
    assert.ok(cached.filter(f => f.endsWith('.wasm')).length >= 1, `cache: ${cached.join(', ')}`)
  })

  it('grid-worker leaves cleanly on SIGINT', async () => {
    const w = workers.pop()!
    const { code } = await w.stop('SIGINT')
    assert.equal(code, 0, w.output.slice(-2000))
    assert.match(w.output, /left; [\d,]+ jobs? done/)
  })
})

describe('grid: a worker killed with SIGKILL mid-flow loses nothing', () => {
  it('primes completes exactly on the surviving worker', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-kill-'))
    const identity = join(dir, 'coordinator.key')
    const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
    const tcp = await freePort()
    const bootstrap = `/ip4/127.0.0.1/tcp/${tcp}/p2p/${peerId.toString()}`
    const run = await copyExample('primes')
    const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', `/ip4/127.0.0.1/tcp/${tcp}`, '--identity', identity, '--wait-workers', '2', '--report', join(run, 'report.json')])
    const survivor = new Proc('grid-worker', ['--bootstrap', bootstrap, '--threads', '1', '--name', 'survivor', '--cache', join(dir, 'c1'), '--quiet'])
    const victim = new Proc('grid-worker', ['--bootstrap', bootstrap, '--threads', '1', '--name', 'victim', '--cache', join(dir, 'c2'), '--quiet'])
    try {
      await coordinator.waitFor(/running flow/)
      await coordinator.waitFor(/worker\/victim joined/)
      // let the victim take jobs (each ~75 ms), then kill it without warning
      await new Promise(resolve => setTimeout(resolve, 1200))
      victim.kill('SIGKILL')
      const { code } = await coordinator.exited
      assert.equal(code, 0, coordinator.output.slice(-3000))
      assert.match(coordinator.output, /- worker\/victim disconnected/)
      const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
      await checkExample('primes', run, coordinator.output, report)
      assert.ok(report.perWorker['worker/survivor'] > 0)
    } finally {
      for (const p of [coordinator, survivor, victim]) p.kill('SIGKILL')
      await Promise.all([coordinator.exited, survivor.exited, victim.exited])
    }
  })
})
