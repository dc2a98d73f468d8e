import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { VerifiedQueue } from '../../../../core/run/queues/verified-queue.js'
import { stageQueueCompliance } from './compliance.js'
import { valueOf, work } from './queue-helpers.js'

// with one worker asking, each work is taken once (a second replica would need another worker)
stageQueueCompliance('VerifiedQueue', () => new VerifiedQueue(2))

describe('VerifiedQueue', () => {
  it('hands each work to distinct workers, started work first; counts it as queued until decided', () => {
    const q = new VerifiedQueue(2)
    q.push(work(1))
    q.push(work(2))
    q.refill()
    const a1 = q.take('a')!
    assert.equal(valueOf(a1), 1)
    assert.equal(valueOf(q.take('a')), 2, 'no second replica of 1 on a: new work instead')
    assert.equal(q.take('a'), undefined)
    q.refill()
    assert.equal(q.take('b'), a1, 'b gets the second replica of the work started first')
    assert.equal(valueOf(q.take('b')), 2)
    assert.equal(q.take('c'), undefined, 'both replicas of both are out')
    assert.equal(q.size, 2, 'started work is still queued')
    q.decided(a1)
    assert.equal(q.size, 1)
  })

  it('a replica put back opens its slot again, for the same worker too', () => {
    const q = new VerifiedQueue(2)
    q.push(work(1))
    q.refill()
    const w = q.take('a')!
    q.putBack(w, 'a')
    q.refill()
    assert.equal(q.take('a'), w)
    assert.equal(q.take('b'), w)
    assert.equal(q.take('c'), undefined)
  })

  it('a new round walks the started work again (a slot may have opened for this worker)', () => {
    const q = new VerifiedQueue(2)
    for (const v of [1, 2, 3]) q.push(work(v))
    q.refill()
    const taken = [q.take('a')!, q.take('a')!, q.take('a')!]
    q.refill()
    assert.equal(q.take('b'), taken[0])
    q.putBack(taken[0], 'b')
    q.refill()
    assert.equal(q.take('b'), taken[0], 'the walk starts over, not where the last round stopped')
  })
})
