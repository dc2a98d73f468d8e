/**
 * RunState with partitioned stages: a key always goes to the same member while it lives, and is given to
 * another member when it leaves, with nothing lost or delivered twice.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { flow, makeState, Sim, stage, stdout, values } from './run-helpers.js'
import type { Delivered } from './run-helpers.js'

const identity = (x: unknown): Array<[number, unknown]> => [[0, x]]
const KEYS = Array.from({ length: 12 }, (_, i) => `k${i}`)
const pairs = (from: number, to: number): Array<[string, number]> => {
  const out: Array<[string, number]> = []
  for (let i = from; i < to; i++) for (const k of KEYS) out.push([k, i])
  return out
}

/** key → the members that processed items of it */
function ownersByKey (ds: readonly Delivered[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const d of ds) {
    const [key] = d.value as [string, number]
    let set = out.get(key)
    if (set == null) out.set(key, set = new Set())
    set.add(d.tag!)
  }
  return out
}

const spec = (by: 'key' | 'value' = 'key'): ReturnType<typeof flow> => flow([values('items', [])],
  [stage('count', 'count', ['items'], { cluster: 'workers', partition: { by } })],
  [stdout('out', ['count'])],
  [{ name: 'workers', labels: [] }])

describe('RunState: partitioned stages', () => {
  it('while membership is stable, every key stays on one member; both members get keys', () => {
    const state = makeState(spec())
    state.workerJoined('worker/0', [])
    state.workerJoined('worker/1', [])
    const sim = new Sim(state, { count: identity })
    sim.offer('items', pairs(0, 20))
    sim.drive(['local', 'worker/0', 'worker/1'])
    const owners = ownersByKey(sim.sinks.out)
    assert.equal(owners.size, KEYS.length)
    for (const [key, set] of owners) assert.equal(set.size, 1, `${key} split over ${[...set].join(', ')}`)
    const used = new Set([...owners.values()].map(s => [...s][0]))
    assert.deepEqual([...used].sort(), ['worker/0', 'worker/1'])
    assert.equal(sim.sinks.out.length, KEYS.length * 20)
  })

  it('a member joining later takes no key already owned, only new ones', () => {
    const state = makeState(spec())
    state.workerJoined('worker/0', [])
    const sim = new Sim(state, { count: identity })
    sim.offer('items', pairs(0, 5), false)
    for (let jobs = sim.take('worker/0'); jobs.length > 0; jobs = sim.take('worker/0')) sim.run('worker/0', jobs)
    state.workerJoined('worker/1', [])
    const fresh = Array.from({ length: 12 }, (_, i) => [`new${i}`, 0])
    sim.offer('items', [...pairs(5, 10), ...fresh])
    sim.drive(['worker/0', 'worker/1'])
    const owners = ownersByKey(sim.sinks.out)
    for (const key of KEYS) assert.deepEqual([...owners.get(key)!], ['worker/0'], key)
    const newOwners = new Set(fresh.map(([k]) => [...owners.get(k as string)!][0]))
    assert.ok(newOwners.has('worker/1'), 'the newcomer gets some of the new keys')
  })

  it('a member that leaves: its keys, queued items and running jobs go to the others; nothing lost or doubled', () => {
    const state = makeState(spec())
    for (const w of ['worker/0', 'worker/1', 'worker/2']) state.workerJoined(w, [])
    const sim = new Sim(state, { count: identity })
    sim.offer('items', pairs(0, 10), false)
    // run a little everywhere, then worker/2 leaves holding jobs and a queue
    for (const w of ['worker/0', 'worker/1', 'worker/2']) sim.run(w, sim.take(w, 5))
    const held = sim.take('worker/2', 3)
    assert.equal(held.length, 3)
    const before = ownersByKey(sim.sinks.out)
    state.release('worker/2')
    sim.offer('items', pairs(10, 20))
    sim.drive(['worker/0', 'worker/1'])
    for (const job of held) assert.equal(state.complete({ id: job.id, ok: true, outputs: [] }), undefined, 'late results of the leaver are ignored')
    const after = ownersByKey(sim.sinks.out)
    let moved = 0
    for (const [key, set] of after) {
      const living = [...set].filter(m => m !== 'worker/2')
      assert.ok(living.length <= 1, `${key} split over ${living.join(', ')}`)
      const first = [...(before.get(key) ?? [])][0]
      if (first === 'worker/0' || first === 'worker/1') assert.deepEqual([...set], [first], `${key} stayed with its living owner`)
      if (first === 'worker/2') {
        assert.equal(living.length, 1, `${key} was given to a survivor`)
        moved++
      }
    }
    assert.ok(moved > 0, 'worker/2 owned keys before it left')
    const seen = sim.sinks.out.map(d => JSON.stringify(d.value)).sort()
    assert.deepEqual(seen, pairs(0, 20).map(p => JSON.stringify(p)).sort(), 'every item exactly once')
  })

  it('by value: the whole item is the key', () => {
    const state = makeState(spec('value'))
    state.workerJoined('worker/0', [])
    state.workerJoined('worker/1', [])
    const sim = new Sim(state, { count: identity })
    const items = Array.from({ length: 60 }, (_, i) => i % 6)
    sim.offer('items', items)
    sim.drive(['worker/0', 'worker/1'])
    const byValue = new Map<number, Set<string>>()
    for (const d of sim.sinks.out) {
      const set = byValue.get(d.value as number) ?? new Set()
      set.add(d.tag!)
      byValue.set(d.value as number, set)
    }
    assert.equal(byValue.size, 6)
    for (const set of byValue.values()) assert.equal(set.size, 1)
  })

  it('by key: an item that is not a [key, value] pair fails the run with the stage and the item', () => {
    const state = makeState(spec())
    state.workerJoined('worker/0', [])
    const sim = new Sim(state, { count: identity })
    sim.offer('items', [['a', 1], 42])
    assert.equal(state.failure?.stage, 'count')
    assert.equal(state.failure?.error.name, 'PartitionInputError')
    assert.match(state.failure?.error.message ?? '', /\[key, value\] pairs, but received 42/)
  })
})
