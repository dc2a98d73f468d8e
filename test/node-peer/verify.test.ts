/**
 * Result verification with real processes on loopback: a coordinator with no embedded workers, two honest
 * grid-workers and one that lies (TEST-ONLY switch EDGE_GRID_TEST_CORRUPT_RESULTS=1 flips a byte of every
 * output). Every stage of collatz asks for 2 replicas: the output must be exact, the liar reported
 * suspicious and refused, and the honest workers must have done the work.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import { REFUSE_AFTER_DISAGREEMENTS } from '../../core/run/verification.js'
import { TEST_CORRUPT_RESULTS_ENV } from '../../node-peer/test-faults.js'
import { binDir, runCoordinator, sinkLines } from '../helpers/cli.js'
import { copyExample } from '../helpers/example-copy.js'
import { collatzSteps } from '../helpers/expected.js'
import { Proc } from '../helpers/processes.js'
import { freePort } from './net/nodes.js'

const STARTS = 300

describe('verify: two honest grid-workers outvote a lying one', () => {
  const workers: Proc[] = []
  after(async () => {
    for (const w of workers) w.kill('SIGKILL')
    await Promise.all(workers.map(async w => await w.exited))
  })

  it('exact output, the liar suspicious and refused, the honest ones did the work', async () => {
    const dir = await copyExample('collatz')
    const flow = JSON.parse(await readFile(join(dir, 'flow.json'), 'utf8'))
    flow.sources.starts.end = STARTS + 1
    for (const stage of Object.values(flow.stages) as Array<Record<string, unknown>>) stage.verify = { replicas: 2 }
    await writeFile(join(dir, 'flow.json'), JSON.stringify(flow))

    const identity = join(dir, 'coordinator.key')
    const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
    const tcp = await freePort()
    const bootstrap = `/ip4/127.0.0.1/tcp/${tcp}/p2p/${peerId.toString()}`
    const workerArgs = (name: string): string[] => ['--bootstrap', bootstrap, '--threads', '1', '--name', name, '--cache', join(dir, `cache-${name}`), '--quiet']
    workers.push(new Proc('grid-worker', workerArgs('a')), new Proc('grid-worker', workerArgs('b')))
    // the lying worker: same binary, the test-only environment switch set
    workers.push(new Proc('grid-worker', workerArgs('liar'), {
      command: ['/usr/bin/env', `${TEST_CORRUPT_RESULTS_ENV}=1`, process.execPath, `${binDir}grid-worker.js`, ...workerArgs('liar')]
    }))

    const result = await runCoordinator([join(dir, 'flow.json'), '--workers', '0', '--listen', `/ip4/127.0.0.1/tcp/${tcp}`, '--identity', identity,
      '--wait-workers', '3', '--report', join(dir, 'report.json')], { timeoutMs: 120_000 })
    assert.equal(result.code, 0, `exit code; stderr:\n${result.stderr}`)

    // exact output
    const lines = (await readFile(join(dir, 'out', 'lengths.jsonl'), 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [number, number])
    assert.equal(lines.length, STARTS, 'each start exactly once')
    const byStart = new Map(lines)
    let best: [number, number] = [1, 0]
    for (let n = 1; n <= STARTS; n++) {
      const steps = collatzSteps(n)
      assert.equal(byStart.get(n), steps, `steps of ${n}`)
      if (steps > best[1]) best = [n, steps]
    }
    assert.deepEqual(sinkLines(result.stdout, 'result').map(l => JSON.parse(l)), [['longest', best]])

    // the report: every job verified, only the liar suspicious, past the threshold
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))
    assert.equal(report.verification.verified, report.jobs.done, JSON.stringify(report.verification))
    assert.ok(report.verification.disagreements >= REFUSE_AFTER_DISAGREEMENTS, JSON.stringify(report.verification))
    assert.deepEqual(Object.keys(report.verification.suspicious), ['worker/liar'])
    assert.ok(report.verification.suspicious['worker/liar'] >= REFUSE_AFTER_DISAGREEMENTS)
    assert.equal(report.perWorker['worker/liar'], undefined, `the liar is credited with nothing: ${JSON.stringify(report.perWorker)}`)
    assert.equal(report.perWorker['worker/a'], report.jobs.done, 'a agreed on every accepted job')
    assert.equal(report.perWorker['worker/b'], report.jobs.done, 'b agreed on every accepted job')

    // refused: the coordinator says so, the liar heard it, and the summary line names it
    assert.match(result.stderr, /! worker\/liar refused: its results disagreed/)
    assert.match(result.stderr, /verified: [\d,]+ jobs on distinct workers, \d+ disagreements?; suspicious: worker\/liar \(\d+\)/)
    await workers[2].waitFor(/refused by the coordinator: its results disagreed/, 10_000)
  })
})
