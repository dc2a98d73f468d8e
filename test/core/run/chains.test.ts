/**
 * Chained stages in the run state (core/run/chain-run.ts): a chunk of a chain's head carries the chain's
 * functions and comes back with the tail's outputs and each earlier stage's count. Workers here run chained
 * chunks through the sandbox's own chain loop (core/run/chain-chunk.ts) with JavaScript functions.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue } from '../../../core/codec.js'
import type { SourceSpec } from '../../../core/flow/model.js'
import type { RunState } from '../../../core/run/run-state.js'
import { flow, makeState, Sim, stage, stdout } from './run-helpers.js'
import type { Fn } from './run-helpers.js'

const N = 1000
const range = (n: number): SourceSpec => ({ kind: 'range', name: 'n', start: 0, end: n, step: 1 })

/** n → inc (x + 1) → twice (x, x, a flat-map) → odd (keeps odd x × 10, a filter) → out */
function chainState (retries = 2): RunState {
  const state = makeState(flow([range(N)], [
    stage('inc', 'inc', ['n'], { retries }),
    stage('twice', 'twice', ['inc'], { retries }),
    stage('odd', 'odd', ['twice'], { retries })
  ], [stdout('out', ['odd'])]))
  assert.ok(state.splitsRange('n'))
  state.offerSourceRange('n', { start: 0, count: N, step: 1 })
  state.sourceExhausted('n')
  return state
}

const fns: Record<string, Fn> = {
  inc: x => [[0, x + 1]],
  twice: x => [[0, x], [0, x]],
  odd: x => x % 2 === 1 ? [[0, x * 10]] : []
}

/** What the flow gives, computed here item by item: every odd x + 1, twice, × 10. */
function expected (): number[] {
  const out: number[] = []
  for (let i = 0; i < N; i++) if ((i + 1) % 2 === 1) out.push((i + 1) * 10, (i + 1) * 10)
  return out
}

describe('RunState: chained stages', () => {
  it('hands out chained chunks only; outputs exact and in order per chunk; done and emitted right for every stage', () => {
    const state = chainState()
    assert.deepEqual(state.chains.chains, [['inc', 'twice', 'odd']])
    const sim = new Sim(state, fns)
    const taken: string[] = []
    for (let step = 0; step < 10_000 && !state.isSettled(); step++) {
      const jobs = sim.take('w', 4)
      for (const job of jobs) {
        taken.push(job.fn.export)
        assert.equal(job.chunk, 'range')
        assert.deepEqual(job.chain?.map(f => f.export), ['twice', 'odd'])
        assert.equal(job.timeoutMs, 3000, 'a chained chunk gets the chain\'s time limits added up')
      }
      sim.run('w', jobs)
    }
    assert.ok(state.isFinished())
    assert.ok(taken.every(name => name === 'inc'), 'no job of a chained stage but the head\'s')
    assert.deepEqual(sim.sinks.out.map(d => d.value), expected(), 'chunks come back in order here (one worker), so the sink sees item order')
    const counts = state.stageCounts()
    const half = N / 2
    assert.deepEqual([counts.inc.done, counts.inc.emitted], [N, N])
    assert.deepEqual([counts.twice.done, counts.twice.emitted], [N, 2 * N])
    assert.deepEqual([counts.odd.done, counts.odd.emitted], [2 * N, 2 * half])
    assert.equal(state.perWorker.get('w'), N, 'a worker is credited with the head\'s items')
  })

  it('an item failing once in a later stage is retried alone against that stage; the run stays exact', () => {
    const state = chainState(1)
    let failures = 0
    const flaky: Record<string, Fn> = { ...fns, twice: x => { if (x === 501 && failures++ === 0) throw new Error('flaky'); return fns.twice(x) } }
    const sim = new Sim(state, flaky)
    sim.drive(['w'], 4)
    assert.ok(state.isFinished())
    assert.equal(failures, 2, 'failed once, then ran again')
    assert.deepEqual([...sim.sinks.out.map(d => d.value as number)].sort((a, b) => a - b), expected().sort((a, b) => a - b))
    const counts = state.stageCounts()
    assert.deepEqual([counts.inc.retried, counts.twice.retried, counts.odd.retried], [0, 1, 0], 'the attempt counts against the stage that failed')
    assert.deepEqual([counts.inc.done, counts.twice.done, counts.odd.done], [N, N, 2 * N], 'no item counted twice')
  })

  it('an item failing on every attempt fails the run naming the stage it failed in and the source item', () => {
    const state = chainState(1)
    const broken: Record<string, Fn> = { ...fns, odd: x => { if (x === 701) throw new Error('no 701'); return fns.odd(x) } }
    const sim = new Sim(state, broken)
    for (let step = 0; step < 10_000 && !state.isSettled(); step++) sim.run('w', sim.take('w', 4))
    const failure = state.failure
    assert.ok(failure != null)
    assert.equal(failure.stage, 'odd')
    assert.equal(failure.attempts, 2)
    assert.match(failure.error.message, /^in stage "odd" of the chain inc → twice → odd: item 700 of a chunk: no 701$/)
    assert.equal(failure.error.name, 'WasmTrapError')
    assert.equal(decodeValue(failure.input), 700, 'the input named is the range item')
    assert.equal(state.stageCounts().odd.failed, 1)
  })

  it('a worker whose hello lacks the chains feature gets no work of the chain\'s head; one with it does', () => {
    const state = chainState()
    state.workerJoined('old', [], { threads: 1, chains: false })
    state.workerJoined('new', [], { threads: 1 })
    assert.deepEqual(state.takeJobs(4, 'old', 0), [])
    const jobs = state.takeJobs(4, 'new', 0)
    assert.ok(jobs.length > 0 && jobs.every(j => j.chain != null))
  })

  it('a chained chunk whose lease expired runs again whole under a new id; the late answer is ignored', () => {
    const state = chainState()
    const sim = new Sim(state, fns)
    const [lost] = state.takeJobs(1, 'gone', 0)
    assert.ok(lost.chain != null)
    assert.equal(state.expireLeases(lost.timeoutMs + 10_000), 1)
    sim.drive(['w'], 4)
    assert.equal(state.complete({ id: lost.id, ok: true, outputs: [], ms: 1, emitted: [1, 2] }), undefined, 'a late outcome is ignored')
    assert.deepEqual(sim.sinks.out.map(d => d.value), expected())
    assert.equal(state.stageCounts().inc.done, N)
  })

  it('a chained chunk failing as a whole (no item named: a time limit, a lost sandbox) goes back whole, against the head', () => {
    const state = chainState(1)
    const [job] = state.takeJobs(1, 'w', 0)
    state.complete({ id: job.id, ok: false, error: { name: 'JobTimeoutError', message: 'took too long' } })
    assert.equal(state.failure == null, true)
    assert.equal(state.stageCounts().inc.retried, 1)
    const [again] = state.takeJobs(1, 'w', 0)
    assert.deepEqual(again.input, job.input, 'the same chunk, whole')
    state.complete({ id: again.id, ok: false, error: { name: 'JobTimeoutError', message: 'took too long' } })
    assert.equal(state.failure?.stage, 'inc')
    assert.equal(state.failure?.error.message, 'in the chain inc → twice → odd (the whole chunk): took too long')
  })

  it('a tail emitting on a port it lacks, or counts that do not fit the chain, fail the attempt against the tail', () => {
    const state = chainState(0)
    const [job] = state.takeJobs(1, 'w', 0)
    state.complete({ id: job.id, ok: true, outputs: [{ port: 3, bytes: Uint8Array.of(1) }], ms: 1, emitted: [1, 2] })
    assert.equal(state.failure?.stage, 'odd')
    assert.match(state.failure!.error.message, /emitted on port 3, but stage "odd" has 1 output\(s\): out/)
    const other = chainState(0)
    const [bad] = other.takeJobs(1, 'w', 0)
    other.complete({ id: bad.id, ok: true, outputs: [], ms: 1 })
    assert.match(other.failure!.error.message, /reported no stage counts for a chain of 3 stages \(inc → twice → odd\)/)
  })
})
