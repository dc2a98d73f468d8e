/**
 * Result verification: ReplicaGroup decides on agreeing outputs (majority after a disagreement), the ledger
 * counts and refuses, and RunState runs each job of a `verify` stage on distinct workers, routes accepted
 * outputs exactly once, and stops giving jobs to a worker that lied too often.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { buildGraph } from '../../../core/flow/graph.js'
import type { FlowSpec, StageSpec } from '../../../core/flow/model.js'
import type { FunctionRef, Job, JobOutcome } from '../../../core/jobs.js'
import type { Emitted } from '../../../core/abi/abi.js'
import { RunState } from '../../../core/run/run-state.js'
import type { SinkDelivery } from '../../../core/run/run-state.js'
import { maxReplicas, REFUSE_AFTER_DISAGREEMENTS, ReplicaGroup, VerificationLedger } from '../../../core/run/verification.js'
import { perItem } from '../../helpers/chunk-jobs.js'
import { itemDeliveries } from '../../../core/run/router.js'

const out = (...values: unknown[]): Emitted[] => values.map(v => ({ port: 0, bytes: encodeValue(v) }))

describe('ReplicaGroup', () => {
  it('accepts unanimous replicas and never gives two replicas to one worker', () => {
    const g = new ReplicaGroup(2)
    assert.equal(g.wants('a'), true)
    g.handedTo('a')
    assert.equal(g.wants('a'), false)
    assert.equal(g.wants('b'), true)
    g.handedTo('b')
    assert.equal(g.wants('c'), false, 'both replicas are out')
    assert.deepEqual(g.result('a', out(1, 2)), { kind: 'wait' })
    const d = g.result('b', out(1, 2))
    assert.equal(d.kind, 'accept')
    if (d.kind !== 'accept') return
    assert.deepEqual(d.outputs.map(o => decodeValue(o.bytes)), [1, 2])
    assert.deepEqual(d.agreed, ['a', 'b'])
    assert.deepEqual(d.dissenters, [])
    assert.equal(g.disputed, false)
  })
  it('on disagreement wants one more replica on another worker, which decides by majority', () => {
    const g = new ReplicaGroup(2)
    g.handedTo('a'); g.handedTo('liar')
    g.result('a', out(7))
    assert.deepEqual(g.result('liar', out(8)), { kind: 'wait' })
    assert.equal(g.disputed, true)
    assert.equal(g.wants('a'), false)
    assert.equal(g.wants('liar'), false)
    assert.equal(g.wants('b'), true)
    g.handedTo('b')
    const d = g.result('b', out(7))
    assert.equal(d.kind, 'accept')
    if (d.kind !== 'accept') return
    assert.deepEqual(d.outputs.map(o => decodeValue(o.bytes)), [7])
    assert.deepEqual(d.dissenters, ['liar'])
  })
  it('compares ports and output counts, not only bytes', () => {
    const g = new ReplicaGroup(2)
    g.handedTo('a'); g.handedTo('b')
    g.result('a', [{ port: 0, bytes: encodeValue(1) }])
    assert.deepEqual(g.result('b', [{ port: 1, bytes: encodeValue(1) }]), { kind: 'wait' })
    const h = new ReplicaGroup(2)
    h.handedTo('a'); h.handedTo('b')
    h.result('a', out(1))
    assert.deepEqual(h.result('b', out(1, 1)), { kind: 'wait' })
  })
  it('a lost replica opens its slot again, also for the same worker', () => {
    const g = new ReplicaGroup(2)
    g.handedTo('a'); g.handedTo('b')
    g.lost('b')
    assert.equal(g.missing, 1)
    assert.equal(g.wants('b'), true)
  })
  it('gives up when no majority emerges within the most replicas allowed', () => {
    const g = new ReplicaGroup(2)
    let last
    for (let i = 0; i < maxReplicas(2); i++) {
      assert.equal(g.wants(`w${i}`), true)
      g.handedTo(`w${i}`)
      last = g.result(`w${i}`, out(i))
    }
    assert.deepEqual(last, { kind: 'unverifiable', versions: maxReplicas(2) })
  })
})

describe('VerificationLedger', () => {
  it('counts verified and disputed jobs and refuses a worker at the threshold, once', () => {
    const ledger = new VerificationLedger()
    const refused: string[] = []
    for (let i = 0; i < REFUSE_AFTER_DISAGREEMENTS + 1; i++) refused.push(...ledger.accepted({ dissenters: ['liar'] }, true))
    ledger.accepted({ dissenters: [] }, false)
    assert.deepEqual(refused, ['liar'])
    assert.deepEqual(ledger.snapshot(), { verified: REFUSE_AFTER_DISAGREEMENTS + 2, disagreements: REFUSE_AFTER_DISAGREEMENTS + 1, suspicious: { liar: REFUSE_AFTER_DISAGREEMENTS + 1 } })
  })
})

// --- RunState with a verified stage -------------------------------------------------------------------

function spec (stages: StageSpec[], values: unknown[]): FlowSpec {
  const functions: Record<string, FlowSpec['functions'][string]> = {}
  for (const s of stages) functions[s.function] = { name: s.function, wasm: `${s.function}.wasm`, export: s.function }
  const last = stages[stages.length - 1].name
  return {
    name: 'test',
    file: 'flow.json',
    functions,
    sources: { nums: { kind: 'values', name: 'nums', values } },
    stages: Object.fromEntries(stages.map(s => [s.name, s])),
    sinks: { result: { kind: 'stdout', name: 'result', inputs: [last] } }
  }
}

function makeState (flow: FlowSpec): RunState {
  const functions = new Map<string, FunctionRef>()
  for (const name of Object.keys(flow.functions)) functions.set(name, { module: `hash-${name}`, export: name })
  return new RunState({ spec: flow, graph: buildGraph(flow), functions })
}

const fns: Record<string, (v: any) => unknown[]> = {
  square: (n: number) => [n * n],
  pair: (n: number) => [[n % 3, n]],
  sum: (vs: number[]) => [vs.reduce((a, b) => a + b, 0)]
}

/** Runs one job honestly, or (for a liar) with one byte of every output flipped. */
function execute (chunkOrJob: Job, liar: boolean): JobOutcome {
  return perItem(chunkOrJob, job => executeOne(job, liar))
}

function executeOne (job: Job, liar: boolean): JobOutcome {
  const outputs = fns[job.fn.export](decodeValue(job.input)).map(v => {
    const bytes = encodeValue(v)
    if (liar) bytes[bytes.length - 1] ^= 1
    return { port: 0, bytes }
  })
  return { id: job.id, ok: true, outputs }
}

/**
 * Feeds every source item, then lets the workers take one job each in turn (bounded); returns the decoded
 * sink items and which workers got jobs after being refused.
 */
function drive (state: RunState, values: unknown[], workers: string[], liars: Set<string>, maxRounds = 10_000): { items: unknown[], lateJobs: number } {
  const items: unknown[] = []
  let lateJobs = 0
  const collect = (ds: SinkDelivery[] | undefined): void => { for (const d of itemDeliveries(ds ?? [])) items.push(decodeValue(d.bytes)) }
  for (const v of values) collect(state.offerSourceItem('nums', encodeValue(v)))
  collect(state.sourceExhausted('nums'))
  for (let round = 0; round < maxRounds && !state.isSettled(); round++) {
    // every worker takes before any completes, so replicas of one job run side by side
    const taken = workers.map(w => ({ w, jobs: state.takeJobs(1, w) }))
    for (const { w, jobs } of taken) {
      if (state.isRefused(w)) lateJobs += jobs.length
      for (const job of jobs) collect(state.complete(execute(job, liars.has(w))))
    }
  }
  assert.ok(state.isSettled(), 'run did not settle')
  return { items, lateJobs }
}

const squareStage = (replicas: number): StageSpec => ({ kind: 'map', name: 'sq', function: 'square', inputs: ['nums'], outputs: ['out'], timeoutMs: 1000, retries: 0, verify: { replicas } })
const numbers = Array.from({ length: 40 }, (_, i) => i + 1)

describe('RunState with verify', () => {
  it('honest workers: every job verified, every output routed exactly once', () => {
    const state = makeState(spec([squareStage(2)], numbers))
    const { items } = drive(state, numbers, ['a', 'b'], new Set())
    assert.deepEqual([...items].sort((x, y) => (x as number) - (y as number)), numbers.map(n => n * n))
    assert.deepEqual(state.verification.snapshot(), { verified: 40, disagreements: 0, suspicious: {} })
    assert.equal(state.stageCounts().sq.done, 40)
    assert.deepEqual(Object.fromEntries(state.perWorker), { a: 40, b: 40 })
    assert.equal(state.failure, undefined)
  })
  it('a liar is outvoted, recorded as suspicious and refused at the threshold; the output is exact', () => {
    const state = makeState(spec([squareStage(2)], numbers))
    const refused: string[] = []
    state.onRefused(w => refused.push(w))
    const { items, lateJobs } = drive(state, numbers, ['a', 'liar', 'b'], new Set(['liar']))
    assert.deepEqual([...items].sort((x, y) => (x as number) - (y as number)), numbers.map(n => n * n))
    const report = state.verification.snapshot()
    assert.equal(report.verified, 40)
    assert.ok(report.disagreements >= REFUSE_AFTER_DISAGREEMENTS)
    assert.deepEqual(Object.keys(report.suspicious), ['liar'])
    assert.ok(report.suspicious.liar >= REFUSE_AFTER_DISAGREEMENTS)
    assert.deepEqual(refused, ['liar'])
    assert.equal(state.isRefused('liar'), true)
    assert.equal(lateJobs, 0, 'a refused worker gets no job')
    assert.equal(state.perWorker.get('liar'), undefined, 'the liar is credited with nothing')
  })
  it('with fewer distinct workers than replicas, jobs wait (one replica each) and nothing is accepted', () => {
    const state = makeState(spec([squareStage(3)], [1, 2, 3]))
    for (const v of [1, 2, 3]) state.offerSourceItem('nums', encodeValue(v))
    state.sourceExhausted('nums')
    const delivered: SinkDelivery[] = []
    for (let round = 0; round < 5; round++) {
      for (const w of ['a', 'b']) for (const job of state.takeJobs(10, w)) delivered.push(...(state.complete(execute(job, false)) ?? []))
    }
    assert.equal(delivered.length, 0)
    assert.equal(state.isFinished(), false)
    assert.equal(state.itemsQueued, 3)
    assert.equal(state.jobsOut, 0)
    // a third worker completes them
    for (const job of state.takeJobs(10, 'c')) delivered.push(...(state.complete(execute(job, false)) ?? []))
    assert.deepEqual(itemDeliveries(delivered).map(d => decodeValue(d.bytes)).sort(), [1, 4, 9])
    assert.equal(state.isFinished(), true)
  })
  it('a released worker\'s replica goes to another worker', () => {
    const state = makeState(spec([squareStage(2)], [5]))
    state.offerSourceItem('nums', encodeValue(5))
    state.sourceExhausted('nums')
    const [ja] = state.takeJobs(1, 'a')
    state.takeJobs(1, 'b')
    assert.equal(state.release('b'), 1)
    assert.equal(state.takeJobs(1, 'a').length, 0, 'never two replicas on one worker')
    const [jc] = state.takeJobs(1, 'c')
    assert.deepEqual(state.complete(execute(ja, false)), [])
    const ds = state.complete(execute(jc, false))!
    assert.deepEqual(itemDeliveries(ds).map(d => decodeValue(d.bytes)), [25])
    assert.equal(state.isFinished(), true)
  })
  it('verified aggregate combines give the exact keyed sums (every stage verified: a liar also runs the map)', () => {
    const stages: StageSpec[] = [
      { kind: 'map', name: 'keyed', function: 'pair', inputs: ['nums'], outputs: ['out'], timeoutMs: 1000, retries: 0, verify: { replicas: 2 } },
      { kind: 'aggregate', name: 'total', function: 'sum', inputs: ['keyed'], outputs: ['out'], timeoutMs: 1000, retries: 0, verify: { replicas: 2 } }
    ]
    const state = makeState(spec(stages, numbers))
    const { items } = drive(state, numbers, ['a', 'liar', 'b'], new Set(['liar']))
    const expected = [0, 1, 2].map(k => [k, numbers.filter(n => n % 3 === k).reduce((a, b) => a + b, 0)])
    assert.deepEqual([...items].sort((x: any, y: any) => x[0] - y[0]), expected)
    assert.ok(state.verification.snapshot().verified > 0)
  })
})
