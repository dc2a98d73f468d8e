/**
 * Side inputs with real grid-worker processes: the coordinator (in this process, so the test can publish a
 * new value mid-run) and two workers; a third joins after the update. Every item handed out after the
 * update is computed with the new value, on every worker, and the late joiner gets the latest value too.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { decodeValue, encodeValue } from '../../core/codec.js'
import { buildGraph } from '../../core/flow/graph.js'
import { loadFlow } from '../../core/flow/validate.js'
import type { FunctionRef } from '../../core/jobs.js'
import { RunBoard } from '../../core/grid/run-board.js'
import { FlowRun } from '../../core/run/flow-run.js'
import type { SinkWriter } from '../../core/run/flow-run.js'
import { TypedEventEmitter } from '@libp2p/interface'
import { CoordinatorNetwork } from '../../node-peer/coordinator/network.js'
import { nodeFlowFiles, readFlowFile } from '../../node-peer/flow-files.js'
import { openSource } from '../../node-peer/sources.js'
import { clusterGrid, fnsFunctions, startWorker, stopAll } from '../helpers/cluster-grid.js'
import type { Proc } from '../helpers/processes.js'
import { waitFor } from './net/nodes.js'

const N = 3000

it('a side-input update reaches every worker, later items use it, and a late joiner gets the latest value', async () => {
  const grid = await clusterGrid({
    name: 'side',
    functions: fnsFunctions,
    clusters: { all: {} },
    sources: { nums: { type: 'range', start: 0, end: N }, setting: { type: 'values', values: [100] } },
    // pinned to a cluster of every network worker, so each output says which worker computed it
    stages: { use: { function: 'slow_echo', input: 'nums', sideInput: 'setting', cluster: 'all' } },
    sinks: { out: { type: 'stdout', input: 'use' } }
  })
  const { file, text } = await readFlowFile(join(grid.dir, 'flow.json'))
  const { spec, modules } = await loadFlow(file, text, nodeFlowFiles)
  const functions = new Map<string, FunctionRef>()
  const bytes = new Map<string, Uint8Array>()
  for (const [name, m] of modules) {
    functions.set(name, { module: m.hash, export: spec.functions[name].export })
    bytes.set(m.hash, m.bytes)
  }
  const got: Array<{ item: number, side: number, member: string }> = []
  const sink: SinkWriter = {
    async write (items, tags) {
      items.forEach((b, i) => {
        const [item, side] = decodeValue(b) as [number, number]
        got.push({ item, side, member: tags?.[i] ?? '?' })
      })
    },
    async close () {}
  }
  const run = new FlowRun({ spec, graph: buildGraph(spec), functions, openSource, openSink: async () => sink })
  const board = new RunBoard()
  const network = await CoordinatorNetwork.start({ identityPath: grid.identity, listen: [grid.listen[1]], mdns: false },
    { events: new TypedEventEmitter(), board, boardId: randomUUID(), welcomeFlow: () => spec.name })
  const runId = randomUUID()
  network.host({ runId, flowName: spec.name, progress: () => run.progress() }, bytes)
  board.add(run)
  const workers: Proc[] = [startWorker(grid, 'a'), startWorker(grid, 'b')]
  try {
    await network.waitForWorkers(2)
    const finished = run.run()
    const by = (member: string): number => got.filter(g => g.member === member).length
    await waitFor(() => by('worker/a') >= 20 && by('worker/b') >= 20, 30_000, 'both workers computing with the first value')
    // items 0 … dispatched-1 have been handed out (one stage, a FIFO range, no failures): the rest must see 200
    const dispatched = run.progress().jobsDone + run.progress().jobsOut
    assert.equal(run.publishSide('setting', encodeValue(200)), 2)
    workers.push(startWorker(grid, 'c'))
    const summary = await finished
    assert.equal(summary.ok, true)

    assert.deepEqual(got.map(g => g.item).sort((x, y) => x - y), Array.from({ length: N }, (_, i) => i), 'every item once')
    const stale = got.filter(g => g.item >= dispatched && g.side !== 200)
    assert.deepEqual(stale, [], `items handed out after the update (≥ ${dispatched}) use the new value`)
    assert.ok(got.some(g => g.side === 100), 'earlier items used the first value')
    for (const member of ['worker/a', 'worker/b']) {
      assert.ok(got.some(g => g.member === member && g.side === 200), `${member} received the update`)
    }
    const late = got.filter(g => g.member === 'worker/c')
    assert.ok(late.length > 0, 'the late joiner took part')
    assert.ok(late.every(g => g.side === 200), 'the late joiner only ever saw the latest value')
  } finally {
    network.finish(true)
    await network.stop()
    await stopAll(workers)
  }
})
