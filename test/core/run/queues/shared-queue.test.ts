import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { SharedQueue } from '../../../../core/run/queues/shared-queue.js'
import { stageQueueCompliance } from './compliance.js'
import { drain, work } from './queue-helpers.js'

stageQueueCompliance('SharedQueue', () => new SharedQueue())

describe('SharedQueue', () => {
  it('any worker takes any work; a retried item goes before newer work', () => {
    const q = new SharedQueue()
    for (const v of [1, 2, 3]) q.push(work(v))
    const one = q.take('a')!
    assert.deepEqual(drain(q, 'b'), [2, 3])
    q.push(work(4))
    q.putBack(one, 'a')
    assert.deepEqual(drain(q, 'c'), [1, 4])
    assert.equal(q.replaysOnTake, false)
  })
})
