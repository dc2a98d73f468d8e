/** maxInstances as clusterer's num_process: N instances side by side, spread over workers by their threads. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { flow, list, makeState, Sim, stage, stdout, values } from './run-helpers.js'

const identity = (x: unknown): Array<[number, unknown]> => [[0, x]]
const spec = flow([values('nums', list(0, 20))], [stage('B', 'B', ['nums'], { maxInstances: 3 })], [stdout('out', ['B'])])

describe('RunState: maxInstances spread over workers', () => {
  it('a worker holds at most its thread count of a capped stage; the cap holds over all workers', () => {
    const state = makeState(spec)
    state.workerJoined('worker/0', [], { threads: 1 })
    state.workerJoined('worker/1', [], { threads: 1 })
    state.workerJoined('worker/2', [], { threads: 2 })
    const sim = new Sim(state, { B: identity })
    sim.offer('nums', list(0, 20))
    const a = sim.take('worker/0', 10)
    assert.equal(a.length, 1, 'one thread: one instance, however many credits')
    assert.equal(sim.take('worker/2', 10).length, 2, 'two threads: two instances')
    assert.equal(sim.take('worker/1', 10).length, 0, 'three instances are out: the stage cap')
    sim.run('worker/0', a)
    assert.equal(sim.take('worker/1', 10).length, 1, 'a finished instance frees a place')
  })

  it('embedded workers (no thread count given) are capped by maxInstances only', () => {
    const state = makeState(spec)
    const sim = new Sim(state, { B: identity })
    sim.offer('nums', list(0, 20))
    assert.equal(sim.take('local', 10).length, 3)
  })

  it('a worker that leaves frees its places', () => {
    const state = makeState(spec)
    state.workerJoined('worker/0', [], { threads: 1 })
    const sim = new Sim(state, { B: identity })
    sim.offer('nums', list(0, 20))
    assert.equal(sim.take('worker/0').length, 1)
    state.release('worker/0')
    state.workerJoined('worker/0', [], { threads: 1 })
    const again = sim.take('worker/0')
    assert.equal(again.length, 1)
    sim.run('worker/0', again)
    sim.drive(['worker/0', 'local'])
    assert.equal(sim.sinks.out.length, 20)
  })
})
