/**
 * The job server holds a worker's job stream that arrives before any run is attached (a worker re-dialling a
 * restarted coordinator, or between two runs of a standing one) and serves it as soon as a run is attached.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { TypedEventEmitter } from '@libp2p/interface'
import { decodeValue } from '../../../core/codec.js'
import { FlowRun } from '../../../core/run/flow-run.js'
import type { CoordinatorEvents } from '../../../node-peer/coordinator/events.js'
import { loadFlowPlan } from '../../../node-peer/coordinator/flow-plan.js'
import { CoordinatorNetwork } from '../../../node-peer/coordinator/network.js'
import { openSource } from '../../../node-peer/sources.js'
import { clusterGrid, fnsFunctions, startWorker, stopAll } from '../../helpers/cluster-grid.js'
import type { Proc } from '../../helpers/processes.js'

it('a worker that connects before a run is attached joins it once it is, and runs it', async () => {
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
  events.addEventListener('worker:joined', evt => { joined.push(evt.detail.id) })
  const network = await CoordinatorNetwork.start({ identityPath: grid.identity, listen: [grid.listen[1]], mdns: false }, { events })
  const workers: Proc[] = [startWorker(grid, 'early')]
  try {
    await workers[0].waitFor(/connected to coordinator/, 30_000)
    await new Promise(resolve => setTimeout(resolve, 1000))
    assert.deepEqual(joined, [], 'no run attached: nobody joined yet')
    network.attach({ run, flowName: plan.spec.name, runId: 'run-1' }, plan.modules)
    await network.waitForWorkers(1, { signal: AbortSignal.timeout(30_000) })
    assert.deepEqual(joined, ['worker/early'])
    const summary = await run.run()
    assert.equal(summary.ok, true)
    assert.deepEqual(got.sort((a, b) => (a as number) - (b as number)), Array.from({ length: 50 }, (_, i) => i))
    assert.deepEqual(summary.perWorker, { 'worker/early': 50 })
  } finally {
    network.finish(true)
    await network.stop()
    await stopAll(workers)
  }
})
