import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { keyId } from '../../../../core/run/aggregate.js'
import { PartitionedQueue, rendezvous } from '../../../../core/run/queues/partitioned-queue.js'
import { stageQueueCompliance } from './compliance.js'
import { drain, FakeMembership, valueOf, work } from './queue-helpers.js'

stageQueueCompliance('PartitionedQueue', () => new PartitionedQueue('count', 'key', 'workers', new FakeMembership(['worker/0'])))

describe('rendezvous', () => {
  it('is deterministic and spreads keys over members', () => {
    const members = ['worker/0', 'worker/1', 'worker/2']
    const counts = new Map<string, number>()
    for (let i = 0; i < 3000; i++) {
      const m = rendezvous(`key-${i}`, members)
      assert.equal(rendezvous(`key-${i}`, [...members].reverse()), m, 'member order does not matter')
      counts.set(m, (counts.get(m) ?? 0) + 1)
    }
    for (const m of members) assert.ok(counts.get(m)! > 800, `${m}: ${counts.get(m)}`)
  })
})

describe('PartitionedQueue', () => {
  it('keeps a key with its owner while it is present, even when others join', () => {
    const q = new PartitionedQueue('count', 'key', 'workers', new FakeMembership())
    q.push(work(['a', 1]))
    q.distribute(['x'])
    assert.equal(q.ownerOf(keyId('a')), 'x')
    q.push(work(['a', 2]))
    q.distribute(['x', 'y', 'z'])
    assert.equal(q.ownerOf(keyId('a')), 'x')
    assert.deepEqual([valueOf(q.take('x')), valueOf(q.take('x')), q.take('x')], [['a', 1], ['a', 2], undefined])
    assert.equal(q.size, 0)
  })

  it('by key: an item that is not a pair is refused with a PartitionInputError naming the stage and the item', () => {
    const q = new PartitionedQueue('count', 'key', 'workers', new FakeMembership(['x']))
    assert.throws(() => { q.push(work(42)) }, (err: Error) => err.name === 'PartitionInputError' && /stage "count" is partitioned by key and reads \[key, value\] pairs, but received 42/.test(err.message))
    assert.equal(q.size, 0)
    const byValue = new PartitionedQueue('count', 'value', 'workers', new FakeMembership(['x']))
    byValue.push(work(42))
    assert.deepEqual(drain(byValue, 'x'), [42])
  })

  it('a member that leaves: its keys get new owners, and its waiting items and put-back jobs go to them; nothing lost', () => {
    const members = new FakeMembership(['x', 'y'])
    const q = new PartitionedQueue('count', 'key', 'workers', members)
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`)
    for (const k of keys) q.push(work([k, 1]))
    q.refill()
    const ofY = keys.filter(k => q.ownerOf(keyId(k)) === 'y')
    assert.ok(ofY.length > 0)
    const held = q.take('y')!
    members.members_ = ['x']
    q.memberLeft('y')
    assert.equal(q.size, 19, 'nothing lost')
    q.putBack(held, 'y')
    assert.equal(q.size, 20)
    const got = drain(q, 'x') as Array<[string, number]>
    assert.equal(got.length, 20)
    for (const k of ofY) assert.equal(q.ownerOf(keyId(k)), 'x')
    assert.deepEqual(new Set(got.map(([k]) => k)), new Set(keys))
  })
})
