import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import type { SourceSpec, StageSpec } from '../../../core/flow/model.js'
import type { RunState, SinkDelivery } from '../../../core/run/run-state.js'
import { execute, flow, list, makeState, stage, stdout, values } from './run-helpers.js'
import type { Fn } from './run-helpers.js'
import { itemDeliveries } from '../../../core/run/router.js'

/** Drives a run to the end with simulated functions; bounded by `maxSteps`. */
function drive (state: RunState, sources: Record<string, unknown[]>, fns: Record<string, Fn>, maxSteps = 100_000): Record<string, unknown[]> {
  const sinks: Record<string, unknown[]> = {}
  const collect = (ds: SinkDelivery[] | undefined): void => {
    for (const d of itemDeliveries(ds ?? [])) (sinks[d.sink] ??= []).push(decodeValue(d.bytes))
  }
  const pending = Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, [...v]]))
  for (let step = 0; step < maxSteps; step++) {
    for (const [name, items] of Object.entries(pending)) {
      if (items.length === 0) continue
      const n = Math.min(state.sourceBudget(), items.length)
      for (const item of items.splice(0, n)) collect(state.offerSourceItem(name, encodeValue(item)))
      if (items.length === 0) collect(state.sourceExhausted(name))
    }
    const jobs = state.takeJobs(7, 'w1')
    for (const job of jobs) collect(state.complete(execute(job, fns)))
    if (state.isSettled() && Object.values(pending).every(p => p.length === 0)) return sinks
  }
  throw new Error('run did not finish')
}

const range = (name: string, start: number, end: number): SourceSpec => ({ kind: 'range', name, start, end, step: 1 })

describe('RunState', () => {
  it('runs a pipeline: every item reaches the sink exactly once', () => {
    const spec = flow([range('nums', 0, 1000)], [stage('double', 'double', ['nums'])], [stdout('out', ['double'])])
    const state = makeState(spec)
    const sinks = drive(state, { nums: list(0, 1000) }, { double: x => [[0, x * 2]] })
    assert.deepEqual([...sinks.out as number[]].sort((a, b) => a - b), list(0, 1000).map(x => x * 2))
    assert.equal(state.stageCounts().double.done, 1000)
  })

  it('filters and flat-maps: zero or many outputs per call', () => {
    const spec = flow([range('nums', 0, 100)], [stage('f', 'f', ['nums'])], [stdout('out', ['f'])])
    const sinks = drive(makeState(spec), { nums: list(0, 100) }, { f: x => x % 10 === 0 ? [[0, x], [0, x + 1]] : [] })
    assert.deepEqual((sinks.out as number[]).sort((a, b) => a - b), [0, 1, 10, 11, 20, 21, 30, 31, 40, 41, 50, 51, 60, 61, 70, 71, 80, 81, 90, 91])
  })

  it('fans out one stream to two stages and fans two streams into one stage', () => {
    const spec = flow(
      [values('a', [1, 2, 3]), values('b', [10, 20])],
      [stage('inc', 'inc', ['a']), stage('neg', 'neg', ['a']), stage('merge', 'id', ['inc', 'b'])],
      [stdout('merged', ['merge']), stdout('negs', ['neg'])]
    )
    const sinks = drive(makeState(spec), { a: [1, 2, 3], b: [10, 20] }, { inc: x => [[0, x + 1]], neg: x => [[0, -x]], id: x => [[0, x]] })
    assert.deepEqual((sinks.merged as number[]).sort((a, b) => a - b), [2, 3, 4, 10, 20])
    assert.deepEqual((sinks.negs as number[]).sort((a, b) => a - b), [-3, -2, -1])
  })

  it('runs a feedback loop until every item has left it (Collatz)', () => {
    const loop = stage('step', 'step', ['starts', 'step.next'], { outputs: ['next', 'done'] })
    const spec = flow([range('starts', 1, 200)], [loop], [stdout('steps', ['step.done'])])
    const collatz = (n: number): number => { let s = 0; while (n !== 1) { n = n % 2 === 0 ? n / 2 : 3 * n + 1; s++ } return s }
    const sinks = drive(makeState(spec), { starts: list(1, 200) }, {
      step: x => {
        const [start, n, steps] = Array.isArray(x) ? x : [x, x, 0]
        if (n === 1) return [[1, [start, steps]]]
        return [[0, [start, n % 2 === 0 ? n / 2 : 3 * n + 1, steps + 1]]]
      }
    }, 1_000_000)
    const got = new Map((sinks.steps as Array<[number, number]>).map(([s, n]) => [s, n]))
    assert.equal(got.size, 199)
    for (let n = 1; n < 200; n++) assert.equal(got.get(n), collatz(n), `steps of ${n}`)
  })

  it('aggregates by key with an associative combine, then emits once per key', () => {
    const words = Array.from({ length: 500 }, (_, i) => `w${i % 7}`)
    const spec = flow(
      [values('words', words)],
      [stage('pair', 'pair', ['words']), { ...stage('count', 'sum', ['pair']), kind: 'aggregate', outputs: ['out'] } as StageSpec],
      [stdout('counts', ['count'])]
    )
    const sinks = drive(makeState(spec), { words }, { pair: w => [[0, [w, 1]]], sum: (xs: number[]) => [[0, xs.reduce((a, b) => a + b, 0)]] })
    const counts = Object.fromEntries(sinks.counts as Array<[string, number]>)
    const expected: Record<string, number> = {}
    for (const w of words) expected[w] = (expected[w] ?? 0) + 1
    assert.deepEqual(counts, expected)
  })

  it('chains aggregates: the second completes after the first emitted', () => {
    const words = ['a', 'b', 'a', 'c', 'a', 'b']
    const spec = flow(
      [values('words', words)],
      [
        stage('pair', 'pair', ['words']),
        { ...stage('count', 'sum', ['pair']), kind: 'aggregate', outputs: ['out'] } as StageSpec,
        stage('rekey', 'rekey', ['count']),
        { ...stage('total', 'sum', ['rekey']), kind: 'aggregate', outputs: ['out'] } as StageSpec
      ],
      [stdout('total', ['total'])]
    )
    const sinks = drive(makeState(spec), { words }, {
      pair: w => [[0, [w, 1]]],
      rekey: ([, n]: [string, number]) => [[0, ['all', n]]],
      sum: (xs: number[]) => [[0, xs.reduce((a, b) => a + b, 0)]]
    })
    assert.deepEqual(sinks.total, [['all', 6]])
  })

  it('retries a failing job, then fails the run with stage, input and error', () => {
    const spec = flow([range('nums', 0, 10)], [stage('f', 'f', ['nums'], { retries: 2 })], [stdout('out', ['f'])])
    const state = makeState(spec)
    let calls = 0
    drive(state, { nums: list(0, 10) }, { f: x => { if (x === 3) { calls++; throw new Error('boom') } return [[0, x]] } }, 1000)
    assert.equal(calls, 3, 'one attempt plus two retries')
    assert.equal(state.failure?.stage, 'f')
    assert.equal(decodeValue(state.failure!.input), 3)
    assert.equal(state.failure?.error.message, 'boom')
    assert.equal(state.stageCounts().f.retried, 2)
    assert.deepEqual(state.takeJobs(10, 'w'), [], 'no job is handed out after a failure')
    assert.equal(state.isSettled(), true)
  })

  it('a job retried after a transient failure delivers its result once', () => {
    const spec = flow([range('nums', 0, 5)], [stage('f', 'f', ['nums'])], [stdout('out', ['f'])])
    let failed = false
    const sinks = drive(makeState(spec), { nums: list(0, 5) }, { f: x => { if (x === 2 && !failed) { failed = true; throw new Error('once') } return [[0, x]] } })
    assert.deepEqual((sinks.out as number[]).sort(), [0, 1, 2, 3, 4])
  })

  it('expired leases re-queue work under new ids and late results are ignored', () => {
    const spec = flow([values('v', [1, 2, 3])], [stage('f', 'f', ['v'], { timeoutMs: 100 })], [stdout('out', ['f'])])
    const state = makeState(spec)
    for (const v of [1, 2, 3]) state.offerSourceItem('v', encodeValue(v))
    state.sourceExhausted('v')
    const first = state.takeJobs(10, 'slow', 0)
    assert.equal(first.length, 3)
    assert.equal(state.expireLeases(1000), 0, 'leases last timeout + slack')
    assert.equal(state.expireLeases(10_000), 3)
    const second = state.takeJobs(10, 'fast', 10_000)
    assert.deepEqual(second.map(j => decodeValue(j.input)).sort(), [1, 2, 3])
    assert.ok(second.every(j => !first.some(f => f.id === j.id)), 'new ids')
    const delivered: unknown[] = []
    for (const job of second) for (const d of itemDeliveries(state.complete({ id: job.id, ok: true, outputs: [{ port: 0, bytes: job.input }] }) ?? [])) delivered.push(decodeValue(d.bytes))
    for (const job of first) assert.equal(state.complete({ id: job.id, ok: true, outputs: [{ port: 0, bytes: job.input }] }), undefined, 'late result ignored')
    assert.deepEqual(delivered.sort(), [1, 2, 3])
    assert.equal(state.isFinished(), true)
  })

  it('release() gives back the jobs of a worker that left', () => {
    const spec = flow([values('v', [1, 2, 3, 4])], [stage('f', 'f', ['v'])], [stdout('out', ['f'])])
    const state = makeState(spec)
    for (const v of [1, 2, 3, 4]) state.offerSourceItem('v', encodeValue(v))
    state.sourceExhausted('v')
    state.takeJobs(2, 'a')
    state.takeJobs(2, 'b')
    assert.equal(state.release('a'), 2)
    assert.equal(state.jobsOut, 2)
    assert.equal(state.takeJobs(10, 'c').length, 2)
  })

  it('respects maxInstances and hands out downstream work first', () => {
    const spec = flow([range('n', 0, 50)], [stage('a', 'a', ['n'], { maxInstances: 3 }), stage('b', 'b', ['a'])], [stdout('out', ['b'])])
    const state = makeState(spec)
    for (let i = 0; i < 50; i++) state.offerSourceItem('n', encodeValue(i))
    const jobs = state.takeJobs(100, 'w')
    assert.equal(jobs.length, 3)
    state.complete({ id: jobs[0].id, ok: true, outputs: [{ port: 0, bytes: encodeValue(0) }] })
    const next = state.takeJobs(1, 'w')
    assert.equal(next[0].fn.export, 'b', 'downstream stage b goes first')
  })

  it('throttles sources at the high-water mark', () => {
    const spec = flow([range('n', 0, 1_000_000)], [stage('a', 'a', ['n'])], [stdout('out', ['a'])])
    const state = makeState(spec, 100)
    assert.equal(state.sourceBudget(), 100)
    for (let i = 0; i < 100; i++) state.offerSourceItem('n', encodeValue(i))
    assert.equal(state.sourceBudget(), 0)
    state.takeJobs(40, 'w')
    assert.equal(state.sourceBudget(), 40)
  })

  it('fails the run on an output port the stage does not have', () => {
    const spec = flow([values('v', [1])], [stage('f', 'f', ['v'], { retries: 0 })], [stdout('out', ['f'])])
    const state = makeState(spec)
    drive(state, { v: [1] }, { f: () => [[5, 1]] }, 100)
    assert.match(state.failure!.error.message, /port 5/)
  })
})
