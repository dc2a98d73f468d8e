import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { itemChunkAsArray, itemChunkCount, packItems, unpackItems } from '../../../core/run/item-chunks.js'
import { chunkView } from '../../../core/run/chunk-view.js'
import { splitAtItem, failureInput } from '../../../core/run/chunk-split.js'
import { MAX_CHUNK_ITEMS } from '../../../core/run/chunks.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'

const values = ['a', '', 'ünïcode line', 42, { k: [1, 2] }]
const packed = packItems(values.map(v => encodeValue(v)))

describe('item chunks', () => {
  it('pack and unpack items in order, as views; count them without unpacking', () => {
    const items = unpackItems(packed)
    assert.deepEqual(items.map(b => decodeValue(b)), values)
    assert.equal(items[0].buffer, packed.buffer, 'views into the input, no copies')
    assert.equal(itemChunkCount(packed), values.length)
    assert.deepEqual(decodeValue(itemChunkAsArray(packed)), values)
  })

  it('rejects inputs that are not a whole sequence of 1 to MAX_CHUNK_ITEMS items (they come from the network)', () => {
    assert.throws(() => unpackItems(new Uint8Array(0)), /1 to 65536 items/)
    assert.throws(() => unpackItems(packed.subarray(0, packed.length - 1)), /u32 LE length/)
    assert.throws(() => unpackItems(new Uint8Array([255, 255, 255, 255, 1])), RangeError)
    assert.throws(() => unpackItems(packItems(Array.from({ length: MAX_CHUNK_ITEMS + 1 }, () => encodeValue(1)))), RangeError)
    assert.equal(itemChunkCount(new Uint8Array([9, 0, 0, 0])), 1, 'a malformed chunk counts as one job')
  })

  it('a chunk view names a failing item by its index and value', () => {
    const view = chunkView('items', packed)
    assert.equal(view.count, 5)
    assert.equal(decodeValue(view.item(2)), 'ünïcode line')
    assert.match(view.error(2, new Error('boom')).message, /^item 2 of a chunk \("ünïcode line"\): boom$/)
  })

  it('splits at a failing item: the items before and after go back as two item chunks, the item alone', () => {
    const work = { input: packed, attempts: 1, chunk: { kind: 'items' as const, count: 5 } }
    const { rest, item } = splitAtItem(work, 2)
    assert.deepEqual(decodeValue(item.input), 'ünïcode line')
    assert.deepEqual([item.attempts, item.chunk, item.fromChunk], [1, undefined, undefined], 'a plain item: journaled as a job if at all')
    assert.deepEqual(rest.map(w => [w.chunk, w.attempts, unpackItems(w.input).map(b => decodeValue(b))]), [
      [{ kind: 'items', count: 2 }, 1, ['a', '']],
      [{ kind: 'items', count: 2 }, 1, [42, { k: [1, 2] }]]
    ])
    assert.deepEqual(splitAtItem(work, 0).rest.map(w => w.chunk?.count), [4])
    assert.deepEqual(splitAtItem(work, 4).rest.map(w => w.chunk?.count), [4])
    assert.deepEqual(decodeValue(failureInput(work)), values, 'a whole chunk that failed is named by its items')
  })
})
