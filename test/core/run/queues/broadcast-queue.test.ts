import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { BroadcastQueue } from '../../../../core/run/queues/broadcast-queue.js'
import { stageQueueCompliance } from './compliance.js'
import { drain, FakeMembership, work } from './queue-helpers.js'

stageQueueCompliance('BroadcastQueue', () => new BroadcastQueue('workers', new FakeMembership(['worker/0'])))

describe('BroadcastQueue', () => {
  it('items wait until the cluster is ready, then each member gets its own copy; size counts the copies', () => {
    const members = new FakeMembership(['a', 'b'], false)
    const q = new BroadcastQueue('workers', members)
    q.push(work(1))
    q.push(work(2))
    q.refill()
    assert.equal(q.take('a'), undefined, 'not ready: nothing distributed')
    assert.equal(q.size, 2)
    members.ready = true
    q.refill()
    assert.equal(q.size, 4, 'one copy per (item, member)')
    const copy = q.take('a')!
    assert.equal(copy.member, 'a')
    assert.equal(copy.attempts, 0)
    assert.deepEqual(drain(q, 'a'), [2])
    assert.deepEqual(drain(q, 'b'), [1, 2])
    assert.equal(q.size, 0)
    assert.equal(q.replaysOnTake, true, 'copies are replayed when taken')
  })

  it('a member that joins later gets only items distributed after it joined', () => {
    const members = new FakeMembership(['a'])
    const q = new BroadcastQueue('workers', members)
    q.push(work(1))
    q.refill()
    members.members_.push('b')
    q.push(work(2))
    assert.deepEqual(drain(q, 'b'), [2])
    assert.deepEqual(drain(q, 'a'), [1, 2])
  })

  it('a member that leaves loses its copies; a copy put back after it left is dropped', () => {
    const q = new BroadcastQueue('workers', new FakeMembership(['a', 'b']))
    for (const v of [1, 2, 3]) q.push(work(v))
    q.refill()
    const held = q.take('b')!
    q.putBack(held, 'b')
    assert.equal(q.size, 6, 'a failed copy goes back for its member')
    const again = q.take('b')!
    q.memberLeft('b')
    assert.equal(q.size, 3)
    q.putBack(again, 'b')
    assert.equal(q.size, 3)
    assert.deepEqual(drain(q, 'a'), [1, 2, 3])
  })
})
