/** Side inputs in RunState: values from streams or published, jobs wait for a value, workers without the feature. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { SideValues, withSideValue } from '../../../core/protocol/side-values.js'
import { flow, makeState, Sim, stage, stdout, values } from './run-helpers.js'

const spec = (side = 'params'): ReturnType<typeof flow> => flow([values('nums', [1, 2, 3]), values('params', [10])],
  [stage('scale', 'scale', ['nums'], { sideInput: side } as object), stage('double', 'double', ['params'])],
  [stdout('out', ['scale']), stdout('p', ['double'])])

const scale = ([x, k]: [number, number | null]): Array<[number, unknown]> => [[0, x * (k ?? -1)]]

describe('side inputs: values', () => {
  it('versions grow by one; offer keeps only newer versions', () => {
    const v = new SideValues()
    assert.equal(v.set('a', encodeValue(1)), 1)
    assert.equal(v.set('a', encodeValue(2)), 2)
    assert.equal(v.offer('a', { version: 1, bytes: encodeValue(9) }), false)
    assert.equal(v.offer('a', { version: 5, bytes: encodeValue(5) }), true)
    assert.deepEqual(decodeValue(v.get('a')!.bytes), 5)
  })

  it('withSideValue makes [item, value], nil when there is no value', () => {
    assert.deepEqual(decodeValue(withSideValue(encodeValue('x'), encodeValue({ k: 1 }))), ['x', { k: 1 }])
    assert.deepEqual(decodeValue(withSideValue(encodeValue(7), undefined)), [7, null])
  })
})

describe('RunState: stages with a side input', () => {
  it('jobs wait for the value, are marked with the side input, and see the latest value', () => {
    const state = makeState(spec())
    const sim = new Sim(state, { scale, double: x => [[0, x * 2]] })
    sim.offer('nums', [1, 2, 3], false)
    assert.equal(sim.take('local').length, 0, 'no value yet: the scale jobs wait')
    sim.offer('params', [10])
    const jobs = sim.take('local')
    assert.equal(jobs.filter(j => j.side === 'params').length, 3)
    assert.ok(jobs.filter(j => j.side !== 'params').every(j => j.side == null))
    sim.run('local', jobs)
    assert.equal(state.setSideValue('params', encodeValue(20)), 2, 'a published value is the next version')
    sim.offer('nums', [4])
    sim.drive(['local'])
    assert.deepEqual(sim.sinks.out.map(d => d.value).sort((a, b) => (a as number) - (b as number)), [10, 20, 30, 80])
    assert.throws(() => state.setSideValue('nums', encodeValue(1)), /no stage reads "nums" as a side input/)
  })

  it('a side stream that ends without any item gives nil; the flow completes', () => {
    const state = makeState(flow([values('nums', [1, 2]), values('params', [])],
      [stage('scale', 'scale', ['nums'], { sideInput: 'params' } as object)], [stdout('out', ['scale'])]))
    const sim = new Sim(state, { scale: identityOfPair })
    sim.offer('nums', [1, 2])
    assert.equal(sim.take('local').length, 0)
    sim.offer('params', [])
    sim.drive(['local'])
    assert.deepEqual(sim.sinks.out.map(d => d.value).sort(), [[1, null], [2, null]])
  })

  it('a worker whose hello lacked the feature gets no side-input jobs, others do', () => {
    const state = makeState(spec())
    state.workerJoined('worker/old', [], { sideInputs: false })
    state.workerJoined('worker/new', [])
    const sim = new Sim(state, { scale, double: x => [[0, x * 2]] })
    sim.offer('params', [10])
    sim.offer('nums', [1, 2, 3])
    const old = sim.take('worker/old')
    assert.ok(old.every(j => j.side == null), 'old worker: only jobs without side input')
    sim.run('worker/old', old)
    assert.equal(sim.take('worker/new').filter(j => j.side === 'params').length, 3)
  })

  it('a stream read as side input is also delivered to its other readers', () => {
    const state = makeState(spec())
    const sim = new Sim(state, { scale: identityOfPair, double: x => [[0, x * 2]] })
    sim.offer('params', [10])
    sim.offer('nums', [1])
    sim.drive(['local'])
    assert.deepEqual(sim.sinks.p.map(d => d.value), [20])
  })
})

/** What a worker does for a job with a side input, then echo: the test sees [item, value]. */
function identityOfPair (x: unknown): Array<[number, unknown]> {
  return [[0, x]]
}
