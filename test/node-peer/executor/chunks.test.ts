/**
 * Range chunks in the real thread pool: the sandbox expands them in order, times them, names a failing item,
 * and hands back their outputs packed as the functions emitted them.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { compileModule, FunctionInstance } from '../../../core/abi/host.js'
import type { Emitted } from '../../../core/abi/abi.js'
import { packOutputs } from '../../../core/protocol/packed-outputs.js'
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

it('an ABI v1 chunk comes back packed: the bytes of call item by item; the output cap holds per call; the thread recovers', async () => {
  const limits = { maxMemoryPages: 64, maxOutputBytes: 40 }
  await withFixturePool({ double: fixtures.double }, async (pool, { double }) => {
    const emitN = { module: double, export: 'emit_n' }
    // emit_n(n): n one-byte outputs on ports 0 and 1; items 0…40 stay within 40 bytes a call, 41 is over
    const [ok, over, after] = await pool.run([
      { id: 1, fn: emitN, input: encodeRangeChunk({ start: 0, count: 41, step: 1 }), timeoutMs: 30_000, chunk: 'range' },
      { id: 2, fn: emitN, input: encodeRangeChunk({ start: 38, count: 6, step: 1 }), timeoutMs: 30_000, chunk: 'range' },
      { id: 3, fn: emitN, input: encodeRangeChunk({ start: 3, count: 2, step: 1 }), timeoutMs: 30_000, chunk: 'range' }
    ])
    const instance = await FunctionInstance.instantiate((await compileModule(fixtures.double)).module, { minimumPages: 1 }, limits)
    const expected = (start: number, count: number): Emitted[] => Array.from({ length: count }, (_, i) => instance.call('emit_n', encodeValue(start + i))).flat()
    assert.ok(ok.ok && after.ok)
    assert.deepEqual(ok.packed, packOutputs(expected(0, 41)), 'packed in the wire layout, as call emits them')
    assert.deepEqual(ok.outputs, expected(0, 41))
    assert.equal(over.ok, false)
    if (!over.ok) {
      assert.equal(over.item, 3, 'item 41 is the fourth of 38…43')
      assert.equal(over.error.name, 'OutputLimitError')
      assert.match(over.error.message, /^item 41 of a chunk: emitted more than 40 bytes in one call/)
    }
    assert.deepEqual(after.packed, packOutputs(expected(3, 2)), 'a fresh instance after the failed call')
  }, { threads: 1, limits })
})
