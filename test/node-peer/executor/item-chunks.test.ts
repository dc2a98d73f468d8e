/**
 * Item chunks and combiners in the real thread pool, with the wordcount example's AssemblyScript functions:
 * the sandbox runs each line of a chunk in order, folds the pairs per key with `sum` when asked, and names a
 * failing line by its index.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { packItems } from '../../../core/run/item-chunks.js'
import { wordCounts } from '../../helpers/expected.js'
import { loadExecutorFixtures, withFixturePool } from '../../fixtures/executor/fixtures.js'

const fixtures = await loadExecutorFixtures()
const wasm = new Uint8Array(await readFile(new URL('../../../../examples/wordcount/build/wordcount.wasm', import.meta.url)))
const text = await readFile(new URL('../../../../examples/wordcount/input.txt', import.meta.url), 'utf8')

it('an item chunk runs every line in order; with a combiner its pairs arrive folded per key, the counts unchanged', async () => {
  await withFixturePool({ module: wasm, trap: fixtures.trap }, async (pool, { module, trap }) => {
    const lines = text.split('\n')
    const input = packItems(lines.map(l => encodeValue(l)))
    const fn = { module, export: 'split' }
    const sum = { module, export: 'sum' }
    const [plain, combined, failed] = await pool.run([
      { id: 1, fn, input, timeoutMs: 30_000, chunk: 'items' },
      { id: 2, fn, input, timeoutMs: 30_000, chunk: 'items', combine: [{ port: 0, fn: sum }, { port: 1, fn: sum }] },
      { id: 3, fn: { module: trap, export: 'trap' }, input: packItems([encodeValue('x'), encodeValue('y')]), timeoutMs: 30_000, chunk: 'items' }
    ])
    assert.ok(plain.ok && combined.ok)
    const fold = (outputs: ReadonlyArray<{ port: number, bytes: Uint8Array }>, port: number): Map<string, number> => {
      const m = new Map<string, number>()
      for (const o of outputs) if (o.port === port) { const [k, v] = decodeValue(o.bytes) as [string, number]; m.set(k, (m.get(k) ?? 0) + v) }
      return m
    }
    const expected = wordCounts(text)
    assert.deepEqual(fold(plain.outputs, 0), expected)
    assert.deepEqual(fold(combined.outputs, 0), expected)
    assert.equal(combined.outputs.filter(o => o.port === 0).length, expected.size, 'one pair per word')
    assert.deepEqual(combined.outputs.filter(o => o.port === 1).map(o => decodeValue(o.bytes)), [['words', [...expected.values()].reduce((a, b) => a + b, 0)]], 'one total for the chunk')
    assert.equal(plain.outputs.filter(o => o.port === 1).length, lines.length, 'uncombined: a total per line')
    assert.ok(combined.ms != null && combined.ms >= 0)
    assert.equal(failed.ok, false)
    if (!failed.ok) {
      assert.equal(failed.item, 0)
      assert.match(failed.error.message, /^item 0 of a chunk \("x"\): /)
    }
  })
})
