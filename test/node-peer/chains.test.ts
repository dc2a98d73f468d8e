/**
 * Chained stages end to end (README, "Execution semantics": Chains): examples/chain (range → square →
 * digitsum → select → JSONL) on a coordinator with no embedded workers and real grid-worker processes on
 * loopback. The three stages run chained; the output is checked item by item against a computation here, and
 * a worker killed mid-run loses nothing (its chained chunks run again whole elsewhere).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import { copyExample } from '../helpers/example-copy.js'
import { chainSelected } from '../helpers/expected.js'
import { Proc } from '../helpers/processes.js'
import { freePort } from './net/nodes.js'

const expected = chainSelected

async function grid (end: number): Promise<{ run: string, coordinator: Proc, workers: Proc[], dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-chains-'))
  const run = await copyExample('chain')
  const flow = JSON.parse(await readFile(join(run, 'flow.json'), 'utf8'))
  flow.sources.numbers.end = end
  await writeFile(join(run, 'flow.json'), JSON.stringify(flow, null, 2))
  const identity = join(dir, 'coordinator.key')
  const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
  const tcp = await freePort()
  const bootstrap = `/ip4/127.0.0.1/tcp/${tcp}/p2p/${peerId.toString()}`
  const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', `/ip4/127.0.0.1/tcp/${tcp}`, '--identity', identity, '--wait-workers', '2', '--report', join(run, 'report.json')])
  const workers = ['a', 'b'].map(name => new Proc('grid-worker', ['--bootstrap', bootstrap, '--threads', '1', '--name', name, '--cache', join(dir, `cache-${name}`), '--quiet']))
  return { run, coordinator, workers, dir }
}

async function outputOf (run: string): Promise<Array<[number, number]>> {
  const text = await readFile(join(run, 'out', 'selected.jsonl'), 'utf8')
  return text.trim().split('\n').map(l => JSON.parse(l) as [number, number]).sort((x, y) => x[0] - y[0])
}

describe('chained stages on grid-worker processes', () => {
  it('range → square → digitsum → select → JSONL runs chained: outputs exact, counts per stage, the chain reported', async () => {
    const end = 200_001
    const { run, coordinator, workers } = await grid(end)
    try {
      const { code } = await coordinator.exited
      assert.equal(code, 0, coordinator.output.slice(-3000))
      assert.match(coordinator.output, /stages "square" → "digitsum" → "select" run chained/)
      const want = expected(end)
      assert.deepEqual(await outputOf(run), want)
      const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
      assert.deepEqual(report.chains, [['square', 'digitsum', 'select']])
      const n = end - 1
      assert.deepEqual([report.stages.square.done, report.stages.square.emitted], [n, n])
      assert.deepEqual([report.stages.digitsum.done, report.stages.digitsum.emitted], [n, n])
      assert.deepEqual([report.stages.select.done, report.stages.select.emitted], [n, want.length])
      assert.ok(report.perWorker['worker/a'] > 0 && report.perWorker['worker/b'] > 0, `both workers ran chunks: ${JSON.stringify(report.perWorker)}`)
      assert.equal(report.perWorker['worker/a'] + report.perWorker['worker/b'], n, 'workers are credited with the head\'s items')
    } finally {
      for (const p of [coordinator, ...workers]) p.kill('SIGKILL')
      await Promise.all([coordinator.exited, ...workers.map(async w => await w.exited)])
    }
  })

  it('a worker killed mid-run loses nothing: its chained chunks run again whole on the other', async () => {
    const end = 4_000_001
    const { run, coordinator, workers } = await grid(end)
    try {
      await coordinator.waitFor(/worker\/b joined/)
      await coordinator.waitFor(/worker\/a joined/)
      await new Promise(resolve => setTimeout(resolve, 1000))
      workers[1].kill('SIGKILL')
      const { code } = await coordinator.exited
      assert.equal(code, 0, coordinator.output.slice(-3000))
      assert.match(coordinator.output, /- worker\/b disconnected/, 'the worker was killed while the run went on')
      const got = await outputOf(run)
      const want = expected(end)
      assert.equal(got.length, want.length, 'every selected item once')
      assert.deepEqual(got, want)
      const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
      assert.equal(report.stages.select.done, end - 1)
      assert.ok(report.perWorker['worker/a'] > 0)
    } finally {
      for (const p of [coordinator, ...workers]) p.kill('SIGKILL')
      await Promise.all([coordinator.exited, ...workers.map(async w => await w.exited)])
    }
  })
})
