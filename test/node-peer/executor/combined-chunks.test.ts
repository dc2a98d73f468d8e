/**
 * Combined chunks in the real thread pool (the sandbox's packed combiner, core/run/combiner.ts PackedCombiner):
 * with the wordcount example's AssemblyScript functions, the outputs equal what combineOutputs makes of the
 * same chunk's uncombined outputs with the same `sum`; a port not combined passes first and in order; a
 * non-pair output or a failing combine call leaves the outputs as the function emitted them, and the next
 * chunk is combined again.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { encodeValue } from '../../../core/codec.js'
import { FunctionInstance, compileModule } from '../../../core/abi/host.js'
import type { Emitted } from '../../../core/abi/abi.js'
import type { JobCombiner, JobOutcome } from '../../../core/jobs.js'
import { combineOutputs } from '../../../core/run/combiner.js'
import { packItems } from '../../../core/run/item-chunks.js'
import { loadExecutorFixtures, withFixturePool } from '../../fixtures/executor/fixtures.js'

const fixtures = await loadExecutorFixtures()
const wasm = new Uint8Array(await readFile(new URL('../../../../examples/wordcount/build/wordcount.wasm', import.meta.url)))
const text = await readFile(new URL('../../../../examples/wordcount/input.txt', import.meta.url), 'utf8')
const lines = packItems(text.split('\n').map(l => encodeValue(l)))

const outputsOf = (outcome: JobOutcome): readonly Emitted[] => {
  assert.ok(outcome.ok, `the chunk failed: ${outcome.ok ? '' : outcome.error.message}`)
  return outcome.outputs
}
const same = (outputs: readonly Emitted[]): Array<[number, number[]]> => outputs.map(o => [o.port, [...o.bytes]])

it('a combined chunk in the pool: the outputs combineOutputs makes of its pairs with the same functions, in the same order', async () => {
  const compiled = await compileModule(wasm)
  const local = await FunctionInstance.instantiate(compiled.module, compiled.memory)
  await withFixturePool({ module: wasm }, async (pool, { module }) => {
    const fn = { module, export: 'split' }
    const sum = { module, export: 'sum' }
    const both: JobCombiner[] = [{ port: 0, fn: sum }, { port: 1, fn: sum }]
    const first: JobCombiner[] = [{ port: 0, fn: sum }]
    const [plain, combined, portZero] = await pool.run([
      { id: 1, fn, input: lines, timeoutMs: 30_000, chunk: 'items' },
      { id: 2, fn, input: lines, timeoutMs: 30_000, chunk: 'items', combine: both },
      { id: 3, fn, input: lines, timeoutMs: 30_000, chunk: 'items', combine: first }
    ])
    const call = (f: { export: string }, input: Uint8Array): Emitted[] => local.call(f.export, input)
    assert.deepEqual(same(outputsOf(combined)), same(await combineOutputs(outputsOf(plain), both, call)))
    const zero = outputsOf(portZero)
    assert.deepEqual(same(zero), same(await combineOutputs(outputsOf(plain), first, call)))
    const totals = outputsOf(plain).filter(o => o.port === 1)
    assert.deepEqual(same(zero.slice(0, totals.length)), same(totals), 'the per-line totals (port 1, not combined) first, in order')
    assert.ok(zero.slice(totals.length).every(o => o.port === 0))
  })
})

it('a non-pair output or a failing combine call: the outputs as emitted; the next chunk is combined again', async () => {
  await withFixturePool({ module: wasm, double: fixtures.double, trap: fixtures.trap }, async (pool, { module, double, trap }) => {
    const fn = { module, export: 'split' }
    const sum = { module, export: 'sum' }
    const numbers = packItems([1, 2, 2, 3].map(n => encodeValue(n)))
    const [plain, doubled, trapped, misfit, after] = await pool.run([
      { id: 1, fn, input: lines, timeoutMs: 30_000, chunk: 'items' },
      // `double` emits numbers on port 0, not pairs
      { id: 2, fn: { module: double, export: 'double' }, input: numbers, timeoutMs: 30_000, chunk: 'items', combine: [{ port: 0, fn: sum }] },
      // the combine call traps
      { id: 3, fn, input: lines, timeoutMs: 30_000, chunk: 'items', combine: [{ port: 0, fn: { module: trap, export: 'trap' } }] },
      // the combine function is `split` of the map's own module: it fails on an array (or emits pairs), and breaks the instance
      { id: 4, fn, input: lines, timeoutMs: 30_000, chunk: 'items', combine: [{ port: 0, fn }, { port: 1, fn: sum }] },
      { id: 5, fn, input: lines, timeoutMs: 30_000, chunk: 'items', combine: [{ port: 0, fn: sum }, { port: 1, fn: sum }] }
    ])
    assert.deepEqual(outputsOf(doubled).map(o => [...o.bytes]), [[2], [4], [4], [6]])
    assert.deepEqual(same(outputsOf(trapped)), same(outputsOf(plain)))
    assert.deepEqual(same(outputsOf(misfit)), same(outputsOf(plain)))
    const words = outputsOf(plain).filter(o => o.port === 0).length
    const combined = outputsOf(after)
    assert.ok(combined.length > 1 && combined.length < words, `folded per word: ${combined.length} outputs from ${words} pairs`)
  })
})
