/**
 * FlowRun.progress(): per stage what is done, queued and out, the failed and retried counts, jobs per worker,
 * and totals that agree with the summary at the end. Jobs are taken and answered by hand, so every figure is
 * known exactly at each step.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { errorToData, WasmTrapError } from '../../../core/errors.js'
import { buildGraph } from '../../../core/flow/graph.js'
import type { JobOutcome, Job } from '../../../core/jobs.js'
import { FlowRun } from '../../../core/run/flow-run.js'
import { RangeCursor } from '../../../core/run/sources.js'
import { flow, stage, stdout } from './run-helpers.js'
import { perItem } from '../../helpers/chunk-jobs.js'

const ok = (chunkOrJob: Job): JobOutcome => perItem(chunkOrJob, job => ({ id: job.id, ok: true, outputs: [{ port: 0, bytes: encodeValue((decodeValue(job.input) as number) * 2) }] }))
const trap = (job: Job): JobOutcome => ({ id: job.id, ok: false, error: errorToData(new WasmTrapError('unreachable')) })

it('reports per-stage done, queued, in flight, failed and retried, and jobs per worker', async () => {
  const spec = flow([{ kind: 'range', name: 'n', start: 0, end: 10, step: 1 }], [stage('double', 'double', ['n'], { retries: 1 })], [stdout('out', ['double'])])
  const run = new FlowRun({
    spec,
    graph: buildGraph(spec),
    functions: new Map([['double', { module: 'm', export: 'double' }]]),
    openSource: source => new RangeCursor(source as never),
    openSink: async () => ({ async write () {}, async close () {} })
  })
  const finished = run.run()
  await new Promise<void>(resolve => { const off = run.onWork(() => { off(); resolve() }) })
  assert.deepEqual(run.progress().stages.double, { done: 0, failed: 0, retried: 0, emitted: 0, replayed: 0, queued: 10, inFlight: 0 })

  const a = run.takeJobs(4, 'a')
  const b = run.takeJobs(2, 'b')
  let p = run.progress()
  assert.equal(p.stages.double.inFlight, 6)
  assert.equal(p.stages.double.queued, 4)
  assert.equal(p.jobsOut, 6)

  run.complete([...a.map(ok), trap(b[0]), ok(b[1])])
  p = run.progress()
  assert.deepEqual({ ...p.stages.double, emitted: 0 }, { done: 5, failed: 0, retried: 1, emitted: 0, replayed: 0, queued: 5, inFlight: 0 })
  assert.deepEqual(p.perWorker, { a: 4, b: 1 })
  assert.equal(p.jobsRetried, 1)
  assert.equal(p.verification, undefined, 'no stage is verified')

  for (let jobs = run.takeJobs(100, 'a'); jobs.length > 0; jobs = run.takeJobs(100, 'a')) run.complete(jobs.map(ok))
  const summary = await finished
  p = run.progress()
  assert.equal(p.jobsDone, summary.jobsDone)
  assert.equal(p.jobsRetried, summary.jobsRetried)
  assert.deepEqual(p.perWorker, summary.perWorker)
  for (const [name, counts] of Object.entries(summary.stages)) assert.deepEqual(p.stages[name], { ...counts, queued: 0, inFlight: 0 })
  assert.equal(p.sourceFraction, 1)
})
