/**
 * Run-state transitions that no behaviour test covered before (core/run/TRANSITIONS.md lists every
 * transition with the test proving it): failures of aggregate input and of verified replicas, a failed run
 * settling, the queued count across modes, membership changes.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import type { StageSpec } from '../../../core/flow/model.js'
import { flow, list, makeState, Sim, stage, stdout, values } from './run-helpers.js'
import { itemDeliveries } from '../../../core/run/router.js'

const identity = (x: unknown): Array<[number, unknown]> => [[0, x]]
const aggregate = (name: string, fn: string, inputs: string[], extra: Partial<StageSpec> = {}): StageSpec =>
  ({ ...stage(name, fn, inputs, extra), kind: 'aggregate', outputs: ['out'] }) as StageSpec

describe('RunState transitions: failures', () => {
  it('an item reaching an aggregate that is not a [key, value] pair fails the run (AggregateInputError)', () => {
    const state = makeState(flow([values('v', [])], [aggregate('total', 'sum', ['v'])], [stdout('out', ['total'])]))
    state.offerSourceItem('v', encodeValue(['a', 1]))
    assert.equal(state.failure == null, true)
    state.offerSourceItem('v', encodeValue(7))
    assert.equal(state.failure?.stage, 'total')
    assert.equal(state.failure?.error.name, 'AggregateInputError')
    assert.equal(decodeValue(state.failure!.input), 7)
    assert.equal(state.stageCounts().total.failed, 1)
    assert.equal(state.sourceBudget(), 0, 'a failed run pulls no more source items')
  })

  it('a failed run settles only once the jobs still out are back; their outputs are still accepted', () => {
    const state = makeState(flow([values('v', [])], [stage('f', 'f', ['v'], { retries: 0 })], [stdout('out', ['f'])]))
    for (const v of [1, 2]) state.offerSourceItem('v', encodeValue(v))
    state.sourceExhausted('v')
    const [a, b] = state.takeJobs(2, 'w')
    state.complete({ id: a.id, ok: false, error: { name: 'WasmTrapError', message: 'boom' } })
    assert.equal(state.failure?.error.name, 'WasmTrapError')
    assert.equal(state.isSettled(), false, 'a job is still out')
    const late = state.complete({ id: b.id, ok: true, outputs: [{ port: 0, bytes: b.input }] })
    assert.deepEqual(itemDeliveries(late ?? []).map(d => decodeValue(d.bytes)), [decodeValue(b.input)])
    assert.equal(state.isSettled(), true)
  })

  it('a verified replica that fails is retried (its slot opens again); beyond retries the run fails', () => {
    const spec = (retries: number): ReturnType<typeof flow> => flow([values('v', [])], [stage('sq', 'sq', ['v'], { retries, verify: { replicas: 2 } })], [stdout('out', ['sq'])])
    const fail = (id: number): { id: number, ok: false, error: { name: string, message: string } } => ({ id, ok: false, error: { name: 'WasmTrapError', message: 'flaky' } })

    const retried = makeState(spec(1))
    retried.offerSourceItem('v', encodeValue(3))
    retried.sourceExhausted('v')
    const [a] = retried.takeJobs(1, 'a')
    const [b] = retried.takeJobs(1, 'b')
    retried.complete(fail(a.id))
    assert.equal(retried.failure, undefined)
    assert.equal(retried.stageCounts().sq.retried, 1)
    const [again] = retried.takeJobs(1, 'a')
    assert.equal(decodeValue(again.input), 3, 'the failed replica is handed out again, here to the same worker')
    retried.complete({ id: b.id, ok: true, outputs: [{ port: 0, bytes: encodeValue(9) }] })
    const ds = retried.complete({ id: again.id, ok: true, outputs: [{ port: 0, bytes: encodeValue(9) }] })
    assert.deepEqual(itemDeliveries(ds ?? []).map(d => decodeValue(d.bytes)), [9])
    assert.equal(retried.isFinished(), true)

    const failed = makeState(spec(0))
    failed.offerSourceItem('v', encodeValue(3))
    const [c] = failed.takeJobs(1, 'a')
    failed.complete(fail(c.id))
    assert.equal(failed.failure?.stage, 'sq')
    assert.equal(failed.failure?.attempts, 1)
    assert.equal(failed.itemsQueued, 0, 'the decided work left its queue')
  })

  it('replicas that never reach a majority fail the run with a VerificationError', () => {
    const state = makeState(flow([values('v', [])], [stage('sq', 'sq', ['v'], { retries: 0, verify: { replicas: 2 } })], [stdout('out', ['sq'])]))
    state.offerSourceItem('v', encodeValue(3))
    state.sourceExhausted('v')
    for (let i = 0; state.failure == null && i < 10; i++) {
      const jobs = state.takeJobs(1, `w${i}`)
      assert.equal(jobs.length, 1)
      state.complete({ id: jobs[0].id, ok: true, outputs: [{ port: 0, bytes: encodeValue(i) }] })
    }
    assert.equal(state.failure?.error.name, 'VerificationError')
    assert.equal(state.itemsQueued, 0)
    assert.equal(state.isSettled(), true)
  })
})

describe('RunState transitions: the queued count is what waits, in every mode', () => {
  const spec = flow([values('nums', [])],
    [stage('show', 'show', ['nums'], { cluster: 'workers', broadcast: true }), stage('plus', 'plus', ['show'], { cluster: 'workers' })],
    [stdout('out', ['plus'])],
    [{ name: 'workers', labels: [] }])

  it('broadcast copies count once per member; a leaver\'s copies stop counting; sources are throttled on it', () => {
    const state = makeState(spec, 10)
    state.workerJoined('worker/0', [])
    state.workerJoined('worker/1', [])
    const sim = new Sim(state, { show: identity, plus: identity })
    sim.offer('nums', list(0, 4), false)
    assert.equal(state.itemsQueued, 4, 'not distributed yet')
    assert.equal(state.sourceBudget(), 6)
    const taken = sim.take('worker/0', 1)
    assert.equal(taken.length, 1)
    assert.equal(state.itemsQueued, 7, 'four copies each, one of worker/0 taken')
    assert.equal(state.sourceBudget(), 3)
    state.release('worker/1')
    assert.equal(state.itemsQueued, 3, 'worker/1\'s copies are dropped')
    sim.run('worker/0', taken)
    assert.equal(state.itemsQueued, 4, 'its output stays on worker/0, queued for plus')
    sim.offer('nums', [], true)
    sim.drive(['worker/0'])
    assert.equal(state.itemsQueued, 0)
    assert.equal(sim.sinks.out.length, 4)
  })
})

describe('RunState transitions: membership', () => {
  it('workerJoined says whether a cluster\'s membership changed; release of a worker holding nothing gives back 0', () => {
    const state = makeState(flow([values('v', [])], [stage('g', 'g', ['v'], { cluster: 'gpu' })], [stdout('out', ['g'])], [{ name: 'gpu', labels: ['gpu'] }]))
    assert.equal(state.workerJoined('worker/cpu', []), false, 'not eligible: nothing changed')
    assert.equal(state.workerJoined('worker/g', ['gpu']), true)
    assert.equal(state.workerJoined('worker/g', ['gpu']), false, 'joining twice changes nothing')
    assert.equal(state.release('worker/g'), 0)
    assert.deepEqual(state.membership.members('gpu'), [])
  })
})
