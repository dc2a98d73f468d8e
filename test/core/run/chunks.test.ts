import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ChunkSizer, decodeRangeChunk, encodeRangeChunk, MAX_CHUNK_ITEMS, rangeItem, runRangeChunk, TARGET_CHUNK_MS } from '../../../core/run/chunks.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { WasmTrapError } from '../../../core/errors.js'

describe('range chunks', () => {
  it('round-trip as [start, count, step]; malformed inputs are refused with what was expected', () => {
    const chunk = { start: -5, count: 3, step: 2 }
    assert.deepEqual(decodeRangeChunk(encodeRangeChunk(chunk)), chunk)
    assert.deepEqual([0, 1, 2].map(i => rangeItem(chunk, i)), [-5, -3, -1])
    assert.throws(() => decodeRangeChunk(encodeValue([1, 2])), /\[start, count, step\]/)
    assert.throws(() => decodeRangeChunk(encodeValue([0, 0, 1])), /1 to 65536 items/)
    assert.throws(() => decodeRangeChunk(encodeValue([0, MAX_CHUNK_ITEMS + 1, 1])), /1 to 65536 items/)
  })

  it('runRangeChunk: outputs in item order, or the first failing item with its index and value', () => {
    const double = (item: Uint8Array): Array<{ port: number, bytes: Uint8Array }> => [{ port: 0, bytes: encodeValue((decodeValue(item) as number) * 2) }]
    const ok = runRangeChunk(encodeRangeChunk({ start: 3, count: 4, step: 1 }), double)
    assert.equal(ok.ok, true)
    if (ok.ok) {
      assert.deepEqual(ok.outputs.map(o => decodeValue(o.bytes)), [6, 8, 10, 12])
      assert.ok(ok.ms >= 0)
    }
    const failed = runRangeChunk(encodeRangeChunk({ start: 0, count: 10, step: 1 }), item => {
      if (decodeValue(item) === 7) throw new WasmTrapError('unreachable')
      return double(item)
    })
    assert.equal(failed.ok, false)
    if (!failed.ok) {
      assert.equal(failed.item, 7)
      assert.equal(failed.error.name, 'WasmTrapError')
      assert.match(failed.error.message, /item 7 of a chunk: unreachable/)
    }
  })
})

describe('ChunkSizer', () => {
  it('starts at one item, grows at most 8× per measurement, settles near the target time, in powers of two', () => {
    const sizer = new ChunkSizer()
    assert.equal(sizer.size, 1)
    const sizes: number[] = []
    for (let round = 0; round < 20; round++) {
      const n = sizer.size
      sizer.observe(n, n * 0.001, n * 4) // 1 µs an item
      sizes.push(sizer.size)
    }
    assert.deepEqual(sizes.slice(0, 4), [8, 64, 512, 4096])
    const settled = sizes[sizes.length - 1]
    assert.equal(settled, 16384, `${TARGET_CHUNK_MS} ms at 1 µs an item, as a power of two below it`)
  })

  it('keeps a costly item a job of one', () => {
    const sizer = new ChunkSizer()
    for (let round = 0; round < 5; round++) sizer.observe(1, 50, 10)
    assert.equal(sizer.size, 1)
  })

  it('bounds a chunk\'s output bytes as well as its time', () => {
    const sizer = new ChunkSizer()
    for (let round = 0; round < 20; round++) sizer.observe(sizer.size, sizer.size * 0.0001, sizer.size * 10_000) // 10 kB an item
    assert.equal(sizer.size, 256)
  })
})
