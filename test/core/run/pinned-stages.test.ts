/** RunState with stages pinned to clusters: only members take their jobs; outputs carry the member's tag. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { flow, list, makeState, Sim, stage, stdout, values } from './run-helpers.js'

const identity = (x: unknown): Array<[number, unknown]> => [[0, x]]

describe('RunState: pinned stages', () => {
  const spec = flow([values('nums', list(0, 50))],
    [stage('prep', 'prep', ['nums']), stage('heavy', 'heavy', ['prep'], { cluster: 'gpu' }), stage('after', 'after', ['heavy'])],
    [stdout('out', ['after']), stdout('raw', ['prep'])],
    [{ name: 'gpu', labels: ['gpu'] }])

  it('never hands a pinned job to a non-member (embedded workers included) and tags outputs with the member', () => {
    const state = makeState(spec)
    state.workerJoined('worker/g', ['gpu', 'fast'])
    state.workerJoined('worker/p', ['fast'])
    const sim = new Sim(state, { prep: identity, heavy: identity, after: identity })
    sim.offer('nums', list(0, 50))
    sim.drive(['local', 'worker/p', 'worker/g'])
    assert.deepEqual(Object.keys(sim.ran.heavy), ['worker/g'], 'only the gpu member ran the pinned stage')
    assert.ok(Object.keys(sim.ran.prep).length > 1, 'unpinned stages run anywhere')
    assert.deepEqual(sim.sinks.out.map(d => d.value).sort((a, b) => (a as number) - (b as number)), list(0, 50))
    assert.ok(sim.sinks.out.every(d => d.tag === 'worker/g'), 'the tag follows items downstream of the pinned stage')
    assert.ok(sim.sinks.raw.every(d => d.tag == null), 'items from unpinned stages are untagged')
  })

  it('pinned work waits for a member, and a member that leaves hands its jobs to the others', () => {
    const state = makeState(spec)
    const sim = new Sim(state, { prep: identity, heavy: identity, after: identity })
    sim.offer('nums', list(0, 50))
    sim.run('local', sim.take('local'))
    assert.equal(sim.take('local').length, 0, 'no member yet: the pinned jobs wait')
    assert.equal(state.isSettled(), false)
    state.workerJoined('worker/a', ['gpu'])
    const held = sim.take('worker/a', 10)
    assert.equal(held.length, 10)
    assert.equal(state.release('worker/a'), 10)
    state.workerJoined('worker/b', ['gpu'])
    sim.drive(['local', 'worker/b'])
    assert.deepEqual(Object.keys(sim.ran.heavy), ['worker/b'])
    assert.equal(sim.sinks.out.length, 50, 'every item once, although worker/a held some')
  })

  it('a sized cluster runs on its members only; a spare worker joins when a member leaves', () => {
    const sized = flow([values('nums', list(0, 30))], [stage('heavy', 'heavy', ['nums'], { cluster: 'pair' })], [stdout('out', ['heavy'])],
      [{ name: 'pair', labels: [], members: 2 }])
    const state = makeState(sized)
    for (const w of ['worker/0', 'worker/1', 'worker/2']) state.workerJoined(w, [])
    const sim = new Sim(state, { heavy: identity })
    sim.offer('nums', list(0, 30))
    assert.equal(sim.take('worker/2').length, 0, 'the third worker is not a member')
    sim.run('worker/0', sim.take('worker/0', 5))
    state.release('worker/0')
    assert.deepEqual(state.membership.members('pair'), ['worker/1', 'worker/2'])
    sim.drive(['worker/1', 'worker/2'])
    assert.deepEqual(Object.keys(sim.ran.heavy).sort(), ['worker/0', 'worker/1', 'worker/2'])
    assert.equal(sim.sinks.out.length, 30)
  })
})
