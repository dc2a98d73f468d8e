import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue } from '../../../../core/codec.js'
import { FAN_IN, KeyedAggregate, keyId } from '../../../../core/run/aggregate.js'
import { AggregateQueue } from '../../../../core/run/queues/aggregate-queue.js'
import { SharedQueue } from '../../../../core/run/queues/shared-queue.js'
import { VerifiedQueue } from '../../../../core/run/queues/verified-queue.js'
import { work } from './queue-helpers.js'

describe('AggregateQueue', () => {
  it('items fold into the aggregate (not queued); a full group becomes one combine job of its key', () => {
    const aggregate = new KeyedAggregate('count')
    const q = new AggregateQueue(aggregate, new SharedQueue())
    for (let i = 0; i < FAN_IN + 1; i++) q.push(work(['w', 1]))
    assert.equal(q.size, 0)
    q.refill()
    assert.equal(q.size, 1)
    const combine = q.take('a')!
    assert.equal(combine.key, keyId('w'))
    assert.deepEqual(decodeValue(combine.input), Array(FAN_IN).fill(1))
    q.putBack(combine, 'a')
    assert.equal(q.size, 1, 'a failed combine is retried')
  })

  it('after finalize, refill turns every key with two or more values into a combine job', () => {
    const aggregate = new KeyedAggregate('count')
    const q = new AggregateQueue(aggregate, new SharedQueue())
    for (const k of ['a', 'a', 'b', 'c', 'c', 'c']) q.push(work([k, 1]))
    aggregate.finalize()
    q.refill()
    assert.equal(q.size, 2)
  })

  it('refuses an item that is not a [key, value] pair with an AggregateInputError', () => {
    const q = new AggregateQueue(new KeyedAggregate('count'), new SharedQueue())
    assert.throws(() => { q.push(work(7)) }, { name: 'AggregateInputError' })
  })

  it('combine jobs of a verified aggregate are replicated and held until decided', () => {
    const aggregate = new KeyedAggregate('count')
    const q = new AggregateQueue(aggregate, new VerifiedQueue(2))
    for (const k of ['a', 'a']) q.push(work([k, 1]))
    aggregate.finalize()
    q.refill()
    const first = q.take('x')!
    assert.equal(q.take('y'), first)
    assert.equal(q.size, 1)
    q.decided(first)
    assert.equal(q.size, 0)
  })
})
