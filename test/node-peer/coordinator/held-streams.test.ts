/**
 * A worker that connects while the coordinator hosts no run (a worker re-dialling a restarted coordinator,
 * or between two runs of a standing one) is welcomed at once, gets no jobs, and runs a run's jobs as soon as
 * one is added to the board; it stays joined after that run ends.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { TypedEventEmitter } from '@libp2p/interface'
import { decodeValue } from '../../../core/codec.js'
import { RunBoard } from '../../../core/grid/run-board.js'
import { FlowRun } from '../../../core/run/flow-run.js'
import type { CoordinatorEvents } from '../../../node-peer/coordinator/events.js'
import { loadFlowPlan } from '../../../node-peer/coordinator/flow-plan.js'
import { CoordinatorNetwork } from '../../../node-peer/coordinator/network.js'
import { openSource } from '../../../node-peer/sources.js'
import { clusterGrid, fnsFunctions, startWorker, stopAll } from '../../helpers/cluster-grid.js'
import type { Proc } from '../../helpers/processes.js'

it('a worker that connects before any run is hosted is welcomed, gets jobs once a run is added, and stays', async () => {
  const grid = await clusterGrid({
    name: 'held',
    functions: fnsFunctions,
    sources: { nums: { type: 'range', start: 0, end: 50 } },
    stages: { echoed: { function: 'echo', input: 'nums' } },
    sinks: { out: { type: 'stdout', input: 'echoed' } }
  })
  const plan = await loadFlowPlan(join(grid.dir, 'flow.json'))
  const got: unknown[] = []
  const run = new FlowRun({
    ...plan,
    openSource,
    openSink: async () => ({ async write (items) { for (const b of items) got.push(decodeValue(b)) }, async close () {} })
  })
  const events = new TypedEventEmitter<CoordinatorEvents>()
  const joined: string[] = []
  const left: string[] = []
  events.addEventListener('worker:joined', evt => { joined.push(evt.detail.id) })
  events.addEventListener('worker:left', evt => { left.push(evt.detail.id) })
  const board = new RunBoard()
  const network = await CoordinatorNetwork.start({ identityPath: grid.identity, listen: [grid.listen[1]], mdns: false },
    { events, board, boardId: 'board-1', welcomeFlow: () => 'grid' })
  const workers: Proc[] = [startWorker(grid, 'early')]
  try {
    await network.waitForWorkers(1, { signal: AbortSignal.timeout(30_000) })
    assert.deepEqual(joined, ['worker/early'], 'welcomed with no run hosted')
    await workers[0].waitFor(/joined flow "grid"/, 10_000)
    network.host({ runId: 'run-1', flowName: plan.spec.name, progress: () => run.progress() }, plan.modules)
    board.add(run)
    const summary = await run.run()
    board.remove(run)
    network.unhost('run-1')
    assert.equal(summary.ok, true)
    assert.deepEqual(got.sort((a, b) => (a as number) - (b as number)), Array.from({ length: 50 }, (_, i) => i))
    assert.deepEqual(summary.perWorker, { 'worker/early': 50 })
    assert.deepEqual(left, [], 'still joined after the run')
    assert.equal(network.workerCount, 1)
  } finally {
    await network.stop()
    await stopAll(workers)
  }
})
