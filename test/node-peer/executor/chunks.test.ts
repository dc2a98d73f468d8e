/** Range chunks in the real thread pool: the sandbox expands them in order, times them, names a failing item. */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { encodeRangeChunk } from '../../../core/run/chunks.js'
import { loadExecutorFixtures, withFixturePool } from '../../fixtures/executor/fixtures.js'

const fixtures = await loadExecutorFixtures()

it('a range chunk runs every item in order in one job, beside plain jobs; a trapping item fails it with its index', async () => {
  await withFixturePool({ double: fixtures.double, trap: fixtures.trap }, async (pool, { double, trap }) => {
    const [chunk, plain, failed] = await pool.run([
      { id: 1, fn: { module: double, export: 'double' }, input: encodeRangeChunk({ start: 5, count: 1000, step: 3 }), timeoutMs: 30_000, chunk: 'range' },
      { id: 2, fn: { module: double, export: 'double' }, input: encodeValue(5), timeoutMs: 30_000 },
      { id: 3, fn: { module: trap, export: 'trap' }, input: encodeRangeChunk({ start: 0, count: 4, step: 1 }), timeoutMs: 30_000, chunk: 'range' }
    ])
    assert.equal(chunk.ok, true)
    if (chunk.ok) {
      assert.deepEqual(chunk.outputs.map(o => decodeValue(o.bytes)), Array.from({ length: 1000 }, (_, i) => 2 * (5 + 3 * i)))
      assert.ok(chunk.ms != null && chunk.ms >= 0)
    }
    assert.equal(plain.ok, true)
    if (plain.ok) {
      assert.deepEqual(plain.outputs.map(o => decodeValue(o.bytes)), [10])
      assert.equal(plain.ms, undefined, 'a plain job has no time')
    }
    assert.equal(failed.ok, false)
    if (!failed.ok) {
      assert.equal(failed.item, 0)
      assert.match(failed.error.message, /^item 0 of a chunk: /)
    }
  })
})
