import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../../core/codec.js'
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

  it('a key is the same key however it is encoded: ASCII strings read from their bytes, others decoded, as before', () => {
    const aggregate = new KeyedAggregate('count')
    const pair = (key: Uint8Array, value: number): Uint8Array => Uint8Array.from([0x92, ...key, ...encodeValue(value)])
    const str8 = (text: string): Uint8Array => Uint8Array.from([0xd9, text.length, ...Buffer.from(text)])
    const long = 'x'.repeat(70)
    const keys = [encodeValue('ab'), str8('ab'), encodeValue('héllo'), encodeValue(long), str8(long), encodeValue(7), Uint8Array.of(0xcc, 7), encodeValue([1, 'a'])]
    for (const key of keys) aggregate.add(pair(key, 1))
    assert.equal(aggregate.keyCount, 5, 'ab twice, héllo, the long string twice, 7 twice, [1, "a"]')
    // the same pairs fed in place from a larger buffer (a chunk's packed outputs) fold into the same keys
    const bytes = Uint8Array.from([9, ...pair(str8('ab'), 2), 9])
    aggregate.addAt(bytes, 1, bytes.length - 1)
    aggregate.finalize()
    assert.equal(aggregate.keyCount, 5)
    assert.deepEqual(aggregate.takeCombines().map(c => [c.key, decodeValue(c.input)]).sort(), [[keyId(long), [1, 1]], [keyId('ab'), [1, 1, 2]], [keyId(7), [1, 1]]].sort())
    assert.throws(() => { aggregate.addAt(bytes, 1, bytes.length) }, { name: 'AggregateInputError' }, 'a pair must end where its item ends')
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
