import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ItemChunkQueue } from '../../../../core/run/queues/item-chunk-queue.js'
import { SharedQueue } from '../../../../core/run/queues/shared-queue.js'
import { VerifiedQueue } from '../../../../core/run/queues/verified-queue.js'
import { MAX_ITEM_CHUNK_BYTES, unpackItems } from '../../../../core/run/item-chunks.js'
import { decodeValue, encodeValue } from '../../../../core/codec.js'
import type { Work } from '../../../../core/run/queues/stage-queue.js'
import { stageQueueCompliance } from './compliance.js'
import { work } from './queue-helpers.js'

stageQueueCompliance('ItemChunkQueue (shared inside)', () => new ItemChunkQueue({ inner: new SharedQueue(), size: () => 4 }))

const lines = (from: number, n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => encodeValue(`line ${from + i}`))
const itemsOf = (w: Work): unknown[] => unpackItems(w.input).map(b => decodeValue(b))

describe('ItemChunkQueue', () => {
  it('cuts items into chunks of the size asked at each take, in order; size counts items not cut yet', () => {
    let size = 1
    const q = new ItemChunkQueue({ inner: new SharedQueue(), size: () => size })
    q.pushItems(lines(0, 10))
    assert.equal(q.size, 10)
    const first = q.take('w')!
    assert.deepEqual(first.chunk, { kind: 'items', count: 1 })
    assert.deepEqual(itemsOf(first), ['line 0'])
    size = 4
    const second = q.take('w')!
    assert.deepEqual(itemsOf(second), ['line 1', 'line 2', 'line 3', 'line 4'])
    assert.equal(q.size, 5)
    size = 64
    const rest = q.take('w')!
    assert.equal(rest.chunk?.count, 5, 'the last chunk takes what is left')
    assert.equal(q.take('w'), undefined)
    assert.equal(q.size, 0)
  })

  it('stops a chunk at MAX_ITEM_CHUNK_BYTES, but a chunk always holds one item however large', () => {
    const q = new ItemChunkQueue({ inner: new SharedQueue(), size: () => 1024 })
    const big = encodeValue('x'.repeat(MAX_ITEM_CHUNK_BYTES + 10))
    const quarter = encodeValue('y'.repeat(MAX_ITEM_CHUNK_BYTES / 4 - 16))
    q.pushItems([big, ...Array.from({ length: 9 }, () => quarter)])
    assert.equal(q.take('w')!.chunk?.count, 1, 'one item over the cap is a chunk of its own')
    assert.equal(q.take('w')!.chunk?.count, 4, 'four quarters fit, a fifth would pass the cap')
    assert.equal(q.take('w')!.chunk?.count, 4)
    assert.equal(q.take('w')!.chunk?.count, 1)
    assert.equal(q.take('w'), undefined)
  })

  it('work put back (a lost chunk, the rest of a failed one) goes before cutting new chunks', () => {
    const q = new ItemChunkQueue({ inner: new SharedQueue(), size: () => 2 })
    q.pushItems(lines(0, 6))
    const a = q.take('w')!
    q.putBack(a, 'w')
    assert.equal(q.size, 5, 'a chunk waiting counts as one work, as a range chunk does, beside 4 items uncut')
    assert.deepEqual(itemsOf(q.take('w')!), ['line 0', 'line 1'])
    assert.deepEqual(itemsOf(q.take('w')!), ['line 2', 'line 3'])
  })

  it('plain work pushed to the stage waits beside the items, and goes first', () => {
    const q = new ItemChunkQueue({ inner: new SharedQueue(), size: () => 8 })
    q.pushItems(lines(0, 3))
    q.push(work('alone'))
    assert.equal(q.size, 4)
    assert.equal(decodeValue(q.take('w')!.input), 'alone')
    assert.equal(q.take('w')!.chunk?.count, 3)
  })

  it('cuts into a verified queue: a chunk is replicated whole, on distinct workers', () => {
    const q = new ItemChunkQueue({ inner: new VerifiedQueue(2), size: () => 4 })
    q.pushItems(lines(0, 4))
    q.refill()
    const one = q.take('a')!
    assert.equal(q.take('a'), undefined, 'the replica is not for the same worker, and nothing else is left')
    q.refill()
    const two = q.take('b')!
    assert.equal(one, two, 'the same work, as two replicas')
    assert.equal(one.chunk?.count, 4)
  })
})
