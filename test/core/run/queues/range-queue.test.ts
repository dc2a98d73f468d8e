import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { RangeQueue } from '../../../../core/run/queues/range-queue.js'
import { SharedQueue } from '../../../../core/run/queues/shared-queue.js'
import { VerifiedQueue } from '../../../../core/run/queues/verified-queue.js'
import { encodeRangeChunk } from '../../../../core/run/chunks.js'
import type { RangeChunk } from '../../../../core/run/chunks.js'
import type { Work } from '../../../../core/run/queues/stage-queue.js'
import { stageQueueCompliance } from './compliance.js'
import { work } from './queue-helpers.js'

stageQueueCompliance('RangeQueue (shared inside)', () => new RangeQueue({ inner: new SharedQueue(), size: () => 4 }))

const chunkOf = (w: Work | undefined): RangeChunk | undefined => w?.chunk as RangeChunk | undefined
const cutAll = (q: RangeQueue, worker = 'w'): RangeChunk[] => {
  const out: RangeChunk[] = []
  for (let w = q.take(worker); w != null; w = q.take(worker)) out.push(chunkOf(w)!)
  return out
}

describe('RangeQueue', () => {
  it('cuts chunks only when asked, at the size of that moment, as aligned powers of two; size counts uncut items', () => {
    let size = 1
    const q = new RangeQueue({ inner: new SharedQueue(), size: () => size })
    q.pushRange({ start: 100, count: 20, step: 3 })
    assert.equal(q.size, 20)
    assert.deepEqual(chunkOf(q.take('w')), { start: 100, count: 1, step: 3 })
    size = 8
    // offset 1 allows only 1, offset 2 only 2, offset 4 only 4, then 8 fits
    assert.deepEqual(cutAll(q).map(c => c.count), [1, 2, 4, 8, 4])
    assert.equal(q.size, 0)
    const w = q.take('w')
    assert.equal(w, undefined)
  })

  it('a chunk\'s input is its [start, count, step] and items are start + i × step', () => {
    const q = new RangeQueue({ inner: new SharedQueue(), size: () => 4 })
    q.pushRange({ start: 10, count: 4, step: 5 })
    const w = q.take('w')!
    assert.deepEqual(w.chunk, { start: 10, count: 4, step: 5 })
    assert.deepEqual(w.input, encodeRangeChunk({ start: 10, count: 4, step: 5 }))
  })

  it('work put back (a chunk whose lease expired, an item) goes before uncut items', () => {
    const q = new RangeQueue({ inner: new SharedQueue(), size: () => 2 })
    q.pushRange({ start: 0, count: 8, step: 1 })
    const first = q.take('w')!
    q.putBack(first, 'w')
    q.push(work(99))
    assert.equal(q.size, 8)
    assert.deepEqual(q.take('w')!.chunk, { start: 0, count: 2, step: 1 })
    assert.equal(q.take('w')!.chunk, undefined, 'the item pushed')
    assert.deepEqual(cutAll(q).map(c => c.start), [2, 4, 6])
  })

  it('with verification inside, each cut chunk is run by distinct workers', () => {
    const q = new RangeQueue({ inner: new VerifiedQueue(2), size: () => 4 })
    q.pushRange({ start: 0, count: 8, step: 1 })
    q.refill()
    const a = q.take('a')!
    q.refill()
    const b = q.take('b')!
    assert.equal(a, b, 'b gets the second replica of a\'s chunk')
    q.refill()
    assert.deepEqual(q.take('a')!.chunk, { start: 4, count: 4, step: 1 }, 'a gets a new chunk, never a second replica')
  })

  it('on resume, a piece with journaled chunks inside queues only the gaps, each cut from its own start', () => {
    const q = new RangeQueue({ inner: new SharedQueue(), size: () => 8 })
    // items 100, 102, … (32 of them); journaled: items at offsets 0-3, 9-10 and 28-31
    q.pushRange({ start: 100, count: 32, step: 2 }, [{ start: 100, count: 4, step: 2 }, { start: 118, count: 2, step: 2 }, { start: 156, count: 4, step: 2 }])
    assert.equal(q.size, 32 - 4 - 2 - 4, 'only the gaps wait')
    const cut = cutAll(q)
    assert.deepEqual(cut.map(c => [c.start, c.count]), [[108, 5], [122, 8], [138, 8], [154, 1]])
    assert.ok(cut.every(c => c.step === 2))
    const items = cut.flatMap(c => Array.from({ length: c.count }, (_, i) => c.start + i * c.step))
    assert.deepEqual(items, [108, 110, 112, 114, 116, 122, 124, 126, 128, 130, 132, 134, 136, 138, 140, 142, 144, 146, 148, 150, 152, 154])
    const whole = new RangeQueue({ inner: new SharedQueue(), size: () => 8 })
    whole.pushRange({ start: 0, count: 8, step: 1 }, [{ start: 0, count: 8, step: 1 }])
    assert.equal(whole.size, 0, 'a piece the journal covers whole queues nothing')
    assert.equal(whole.take('w'), undefined)
  })
})
