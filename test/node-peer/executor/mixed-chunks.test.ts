/**
 * Every kind of chunk in one batch of the real thread pool (core/executor/packing.ts packs them into one
 * buffer): an item chunk with combiners, the same function's item chunk without, a chained range chunk whose
 * chain calls a function the combined chunk also uses, a plain range chunk and a lone job. Each comes back as
 * it would alone.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { encodeRangeChunk } from '../../../core/run/chunks.js'
import { packItems } from '../../../core/run/item-chunks.js'
import { wordCounts } from '../../helpers/expected.js'
import { loadExecutorFixtures, withFixturePool } from '../../fixtures/executor/fixtures.js'

const fixtures = await loadExecutorFixtures()
const wasm = new Uint8Array(await readFile(new URL('../../../../examples/wordcount/build/wordcount.wasm', import.meta.url)))

it('one batch holds item chunks with and without combiners, a chained and a plain range chunk and a job; each gets its own outcome', async () => {
  await withFixturePool({ words: wasm, double: fixtures.double }, async (pool, { words, double }) => {
    const split = { module: words, export: 'split' }
    const sum = { module: words, export: 'sum' }
    const d = { module: double, export: 'double' }
    const lines = ['the cat sat', 'on the mat', 'the end']
    const input = packItems(lines.map(l => encodeValue(l)))
    const [combined, chained, plainItems, plainRange, lone] = await pool.run([
      { id: 1, fn: split, input, timeoutMs: 30_000, chunk: 'items', combine: [{ port: 0, fn: sum }] },
      { id: 2, fn: d, input: encodeRangeChunk({ start: 1, count: 5, step: 2 }), timeoutMs: 30_000, chunk: 'range', chain: [d, d] },
      { id: 3, fn: split, input, timeoutMs: 30_000, chunk: 'items' },
      { id: 4, fn: d, input: encodeRangeChunk({ start: 0, count: 3, step: 1 }), timeoutMs: 30_000, chunk: 'range' },
      { id: 5, fn: d, input: encodeValue(21), timeoutMs: 30_000 }
    ])
    const expected = wordCounts(lines.join('\n'))
    assert.ok(combined.ok && plainItems.ok && chained.ok && plainRange.ok && lone.ok)
    const pairs = (outputs: ReadonlyArray<{ port: number, bytes: Uint8Array }>): Array<[string, number]> =>
      outputs.filter(o => o.port === 0).map(o => decodeValue(o.bytes) as [string, number])
    assert.deepEqual(new Map(pairs(combined.outputs)), expected, 'combined: one pair per word with its count')
    assert.equal(pairs(combined.outputs).length, expected.size)
    assert.equal(pairs(plainItems.outputs).length, 8, 'uncombined: a pair per word of each line')
    assert.equal(combined.emitted, undefined, 'an unchained chunk has no stage counts')
    assert.deepEqual(chained.outputs.map(o => decodeValue(o.bytes)), [8, 24, 40, 56, 72])
    assert.deepEqual(chained.emitted, [5, 5])
    assert.deepEqual(plainRange.outputs.map(o => decodeValue(o.bytes)), [0, 2, 4])
    assert.deepEqual(lone.outputs.map(o => decodeValue(o.bytes)), [42])
  })
})
