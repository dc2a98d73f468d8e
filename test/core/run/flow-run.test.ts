/**
 * FlowRun alone, with a fake executor: plain JavaScript functions stand in for the WASM modules and a fake
 * worker pulls jobs the way embedded and network workers do (takeJobs when told there is work, complete
 * later). Nothing from node-peer: this is the orchestrator's contract on its own — every source item reaches
 * the sinks once, a failing job is retried and then fails the run with its stage and input, an abort stops it.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { buildGraph } from '../../../core/flow/graph.js'
import type { FlowSpec } from '../../../core/flow/model.js'
import { FlowRun, RunAbortedError } from '../../../core/run/flow-run.js'
import type { SinkWriter } from '../../../core/run/flow-run.js'
import { RangeCursor } from '../../../core/run/sources.js'
import type { Job, JobOutcome } from '../../../core/jobs.js'
import { errorToData, WasmTrapError } from '../../../core/errors.js'
import { perItem } from '../../helpers/chunk-jobs.js'

type Fake = (value: unknown) => Array<[port: number, value: unknown]>

/** range 0..n → square → sum by parity (aggregate) → sink; `square` is `fns.square`. */
function flow (n: number): FlowSpec {
  return {
    name: 'fake',
    file: 'flow.json',
    functions: { square: { name: 'square', wasm: 'm.wasm', export: 'square' }, add: { name: 'add', wasm: 'm.wasm', export: 'add' } },
    sources: { n: { kind: 'range', name: 'n', start: 0, end: n, step: 1 } },
    stages: {
      square: { kind: 'map', name: 'square', function: 'square', inputs: ['n'], outputs: ['out'], timeoutMs: 1000, retries: 1 },
      total: { kind: 'aggregate', name: 'total', function: 'add', inputs: ['square'], outputs: ['out'], timeoutMs: 1000, retries: 0 }
    },
    sinks: { squares: { kind: 'stdout', name: 'squares', inputs: ['square'] }, totals: { kind: 'stdout', name: 'totals', inputs: ['total'] } }
  } as unknown as FlowSpec
}

/** A worker with `threads` fake threads: takes jobs when the run has work, answers each on a later tick. */
function fakeWorker (run: FlowRun, fns: Record<string, Fake>, name = 'fake'): { stop: () => void, jobs: () => number } {
  let stopped = false
  let ran = 0
  let pending = false
  const pump = (): void => {
    if (stopped || pending) return
    const jobs = run.takeJobs(64, name)
    if (jobs.length === 0) return
    pending = true
    setImmediate(() => {
      pending = false
      run.complete(jobs.map(job => execute(job, fns)))
      ran += jobs.length
      pump()
    })
  }
  const off = run.onWork(pump)
  pump()
  return { stop: () => { stopped = true; off() }, jobs: () => ran }
}

function execute (chunkOrJob: Job, fns: Record<string, Fake>): JobOutcome {
  return perItem(chunkOrJob, job => executeOne(job, fns))
}

function executeOne (job: Job, fns: Record<string, Fake>): JobOutcome {
  try {
    const outputs = fns[job.fn.export](decodeValue(job.input)).map(([port, value]) => ({ port, bytes: encodeValue(value) }))
    return { id: job.id, ok: true, outputs }
  } catch (err) {
    return { id: job.id, ok: false, error: errorToData(err) }
  }
}

function recordingSink (): SinkWriter & { items: unknown[], closed?: boolean } {
  const sink = {
    items: [] as unknown[],
    closed: undefined as boolean | undefined,
    async write (items: readonly Uint8Array[]) { for (const i of items) sink.items.push(decodeValue(i)) },
    async close (ok: boolean) { sink.closed = ok }
  }
  return sink
}

function runOf (spec: FlowSpec, sinks: Record<string, SinkWriter>): FlowRun {
  return new FlowRun({
    spec,
    graph: buildGraph(spec),
    functions: new Map([['square', { module: 'fake', export: 'square' }], ['add', { module: 'fake', export: 'add' }]]),
    openSource: s => new RangeCursor(s as Extract<typeof s, { kind: 'range' }>),
    openSink: async s => sinks[s.name],
    highWater: 256
  })
}

/** `square` emits `[parity, n²]` pairs; the aggregate's function receives two or more values and sums them. */
const square: Fake = v => [[0, [(v as number) % 2 === 0 ? 'even' : 'odd', (v as number) * (v as number)]]]
const add: Fake = v => [[0, (v as number[]).reduce((a, b) => a + b, 0)]]

it('every item reaches each sink once, and the aggregate sees all of them', async () => {
  const N = 5000
  const squares = recordingSink()
  const totals = recordingSink()
  const run = runOf(flow(N), { squares, totals })
  let squared = 0
  const worker = fakeWorker(run, { square: v => { squared++; return square(v) }, add })
  const summary = await run.run()
  worker.stop()
  assert.equal(summary.ok, true)
  assert.equal(squared, N)
  const values = squares.items.map(p => (p as [string, number])[1]).sort((a, b) => a - b)
  assert.deepEqual(values, Array.from({ length: N }, (_, i) => i * i))
  assert.equal(summary.stages.square.done, N)
  let even = 0
  let odd = 0
  for (let i = 0; i < N; i++) { if (i % 2 === 0) even += i * i; else odd += i * i }
  assert.deepEqual(new Map(totals.items as Array<[string, number]>), new Map([['even', even], ['odd', odd]]))
  assert.equal(squares.closed, true)
  assert.equal(totals.closed, true)
})

it('a job that fails on every attempt fails the run with its stage and input, and sinks close as failed', async () => {
  const squares = recordingSink()
  const totals = recordingSink()
  const run = runOf(flow(100), { squares, totals })
  let attempts = 0
  const worker = fakeWorker(run, {
    square: v => {
      if (v === 42) { attempts++; throw new WasmTrapError('unreachable') }
      return square(v)
    },
    add
  })
  const summary = await run.run()
  worker.stop()
  assert.equal(summary.ok, false)
  assert.equal(summary.failure?.stage, 'square')
  assert.equal(summary.failure?.input, '42')
  assert.equal(summary.failure?.error.name, WasmTrapError.name)
  assert.equal(attempts, 2, 'retries: 1 means two attempts')
  assert.equal(squares.closed, false)
})

it('an aborted signal stops the run: RunAbortedError, sinks closed as failed', async () => {
  const squares = recordingSink()
  const totals = recordingSink()
  const run = runOf(flow(1_000_000), { squares, totals })
  const controller = new AbortController()
  const worker = fakeWorker(run, {
    square: v => {
      if (v === 1000) controller.abort()
      return square(v)
    },
    add
  })
  await assert.rejects(run.run({ signal: controller.signal }), (err: Error) => err instanceof RunAbortedError)
  worker.stop()
  assert.equal(squares.closed, false)
  assert.ok(squares.items.length < 1_000_000)
})
