import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { PinnedQueue } from '../../../../core/run/queues/pinned-queue.js'
import { stageQueueCompliance } from './compliance.js'
import { drain, FakeMembership, valueOf, work } from './queue-helpers.js'

stageQueueCompliance('PinnedQueue', () => new PinnedQueue('gpu', new FakeMembership(['worker/0'])))

describe('PinnedQueue', () => {
  it('work from a member stays on it and goes first; other work is shared', () => {
    const q = new PinnedQueue('gpu', new FakeMembership(['a', 'b']))
    q.push(work('shared-1'))
    q.push(work('from-a', 'a'))
    q.push(work('from-b', 'b'))
    q.push(work('from-outsider', 'x'))
    assert.equal(q.size, 4)
    assert.deepEqual(drain(q, 'a'), ['from-a', 'shared-1', 'from-outsider'])
    assert.equal(q.size, 1)
    assert.deepEqual(drain(q, 'b'), ['from-b'])
  })

  it('a retried item that stayed on a member goes back to that member, first', () => {
    const q = new PinnedQueue('gpu', new FakeMembership(['a', 'b']))
    q.push(work(1, 'a'))
    q.push(work(2, 'a'))
    const first = q.take('a')!
    q.putBack(first, 'a')
    assert.equal(q.take('b'), undefined, 'b has no work of its own and nothing is shared')
    assert.deepEqual(drain(q, 'a'), [1, 2])
  })

  it('when a member leaves, its waiting work goes to the front of the shared line, in order', () => {
    const q = new PinnedQueue('gpu', new FakeMembership(['a', 'b']))
    q.push(work('shared'))
    q.push(work(1, 'a'))
    q.push(work(2, 'a'))
    const out = q.take('a')!
    assert.equal(valueOf(out), 1)
    q.memberLeft('a')
    assert.equal(q.size, 2)
    q.putBack(out, 'a') // the job it held comes back too: shared now
    assert.equal(q.size, 3)
    assert.deepEqual(drain(q, 'b'), [1, 2, 'shared'])
  })
})
