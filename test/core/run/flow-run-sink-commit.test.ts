/**
 * FlowRun's contract with sinks at the end of a run: every sink is closed (told whether the run succeeded),
 * and only when the run succeeded and every sink closed fine are they committed (file sinks then replace
 * their targets), all closes before the first commit. Jobs are taken and completed by hand: no executor.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { buildGraph } from '../../../core/flow/graph.js'
import type { FlowSpec } from '../../../core/flow/model.js'
import { FlowRun } from '../../../core/run/flow-run.js'
import type { RunSummary, SinkWriter } from '../../../core/run/flow-run.js'
import { RangeCursor } from '../../../core/run/sources.js'
import { perItem } from '../../helpers/chunk-jobs.js'

const spec: FlowSpec = {
  name: 'commit',
  file: 'flow.json',
  functions: { id: { name: 'id', wasm: 'id.wasm', export: 'id' } },
  sources: { n: { kind: 'range', name: 'n', start: 0, end: 4, step: 1 } },
  stages: { id: { kind: 'map', name: 'id', function: 'id', inputs: ['n'], outputs: ['out'], timeoutMs: 10_000, retries: 0 } },
  sinks: {
    a: { kind: 'stdout', name: 'a', inputs: ['id'] },
    b: { kind: 'stdout', name: 'b', inputs: ['id'] }
  }
}

/** Runs the flow with sinks that record what FlowRun calls; `fail`: the job for this input fails. */
async function runWith (options: { fail?: number, closeThrows?: string }): Promise<{ summary: RunSummary, calls: string[] }> {
  const calls: string[] = []
  const sink = (name: string): SinkWriter => ({
    async write (items) { calls.push(`write ${name} ${items.length}`) },
    async close (ok) {
      calls.push(`close ${name} ${String(ok)}`)
      if (options.closeThrows === name) throw new Error('disk full')
    },
    async commit () { calls.push(`commit ${name}`) }
  })
  const run = new FlowRun({
    spec,
    graph: buildGraph(spec),
    functions: new Map([['id', { module: 'h', export: 'id' }]]),
    openSource: s => new RangeCursor(s as Extract<typeof s, { kind: 'range' }>),
    openSink: async s => sink(s.name)
  })
  let settled = false
  const result = run.run().finally(() => { settled = true })
  // the worker's part, by hand: bounded, each round lets the run loop go on
  for (let round = 0; round < 1000 && !settled; round++) {
    const jobs = run.takeJobs(16, 'w')
    if (jobs.length > 0) {
      run.complete(jobs.map(chunkOrJob => perItem(chunkOrJob, job => job.input[0] === options.fail
        ? { id: job.id, ok: false as const, error: { name: 'Trap', message: 'unreachable' } }
        : { id: job.id, ok: true as const, outputs: [{ port: 0, bytes: job.input }] })))
    }
    await new Promise(resolve => setTimeout(resolve, 0))
  }
  assert.ok(settled, 'the run ended')
  return { summary: await result, calls }
}

const ends = (calls: string[]): string[] => calls.filter(c => !c.startsWith('write'))

describe('FlowRun: sinks at the end of a run', () => {
  it('a successful run closes every sink with ok, then commits each', async () => {
    const { summary, calls } = await runWith({})
    assert.equal(summary.ok, true)
    assert.deepEqual(ends(calls), ['close a true', 'close b true', 'commit a', 'commit b'])
  })

  it('a job failing on every attempt: sinks are closed with ok false and never committed', async () => {
    const { summary, calls } = await runWith({ fail: 2 })
    assert.equal(summary.ok, false)
    assert.equal(summary.failure?.stage, 'id')
    assert.deepEqual(ends(calls), ['close a false', 'close b false'])
  })

  it('a sink that fails to close: the run fails and no sink is committed', async () => {
    const { summary, calls } = await runWith({ closeThrows: 'b' })
    assert.equal(summary.ok, false)
    assert.match(summary.failure?.error.message ?? '', /sink "b": disk full/)
    assert.deepEqual(ends(calls), ['close a true', 'close b true'])
  })
})
