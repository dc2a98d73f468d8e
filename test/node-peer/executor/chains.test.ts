/** Chained chunks in the real thread pool: each item through every function in order, stage counts, the failing stage. */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { encodeRangeChunk } from '../../../core/run/chunks.js'
import { loadExecutorFixtures, withFixturePool } from '../../fixtures/executor/fixtures.js'

const fixtures = await loadExecutorFixtures()

it('a chained chunk runs double → double → double on each item in one job, beside a plain chunk; a trap in stage 1 names item and stage', async () => {
  await withFixturePool({ double: fixtures.double, trap: fixtures.trap }, async (pool, { double, trap }) => {
    const d = { module: double, export: 'double' }
    const chain = [d, d]
    const [chained, plain, failed, second] = await pool.run([
      { id: 1, fn: d, input: encodeRangeChunk({ start: 5, count: 1000, step: 3 }), timeoutMs: 30_000, chunk: 'range', chain },
      { id: 2, fn: d, input: encodeRangeChunk({ start: 0, count: 4, step: 1 }), timeoutMs: 30_000, chunk: 'range' },
      { id: 3, fn: d, input: encodeRangeChunk({ start: 0, count: 4, step: 1 }), timeoutMs: 30_000, chunk: 'range', chain: [{ module: trap, export: 'trap' }] },
      { id: 4, fn: d, input: encodeValue(7), timeoutMs: 30_000 }
    ])
    assert.ok(chained.ok)
    assert.deepEqual(chained.outputs.map(o => decodeValue(o.bytes)), Array.from({ length: 1000 }, (_, i) => 8 * (5 + 3 * i)))
    assert.deepEqual(chained.emitted, [1000, 1000])
    assert.ok(chained.ms != null && chained.ms >= 0)
    assert.ok(plain.ok)
    assert.deepEqual(plain.outputs.map(o => decodeValue(o.bytes)), [0, 2, 4, 6])
    assert.equal(plain.emitted, undefined, 'an unchained chunk has no stage counts')
    assert.equal(failed.ok, false)
    if (!failed.ok) {
      assert.equal(failed.item, 0)
      assert.equal(failed.stage, 1)
      assert.match(failed.error.message, /^item 0 of a chunk: /)
    }
    assert.ok(second.ok)
    assert.deepEqual(second.outputs.map(o => decodeValue(o.bytes)), [14])
  })
})
