import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { combineOutputs, COMBINE_GROUP, COMBINE_PIECE_BYTES, PackedCombiner } from '../../../core/run/combiner.js'
import type { CombineCall, PackedCombineCall } from '../../../core/run/combiner.js'
import { PackedScratch } from '../../../core/run/packed-scratch.js'
import { packOutputs, unpackOutputs } from '../../../core/protocol/packed-outputs.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import type { Emitted } from '../../../core/abi/abi.js'
import type { FunctionRef } from '../../../core/jobs.js'

const sumFn: FunctionRef = { module: 'm', export: 'sum' }
const maxFn: FunctionRef = { module: 'm', export: 'max' }
/** The aggregate functions, in JavaScript: an array of values in, one value out on port 0. */
const call: CombineCall = (fn, input) => {
  const values = decodeValue(input) as number[]
  const value = fn.export === 'sum' ? values.reduce((a, b) => a + b, 0) : Math.max(...values)
  return [{ port: 0, bytes: encodeValue(value) }]
}
const pair = (port: number, key: unknown, value: unknown): Emitted => ({ port, bytes: encodeValue([key, value]) })
const decoded = (outputs: readonly Emitted[]): Array<[number, unknown]> => outputs.map(o => [o.port, decodeValue(o.bytes)])
const byKey = (a: [number, unknown], b: [number, unknown]): number => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1

describe('combineOutputs (worker-side combiner)', () => {
  it('folds the pairs of each combined port per key with its function; other ports pass through in order', async () => {
    const outputs = [
      pair(0, 'the', 1), { port: 2, bytes: encodeValue('kept 1') }, pair(0, 'cat', 1), pair(1, 'len', 3), pair(0, 'the', 1),
      pair(1, 'len', 7), pair(0, 7, 1), pair(0, 7, 1), pair(0, [1, 'x'], 2), { port: 2, bytes: encodeValue('kept 2') }, pair(0, 'the', 5)
    ]
    const combined = await combineOutputs(outputs, [{ port: 0, fn: sumFn }, { port: 1, fn: maxFn }], call)
    assert.deepEqual(decoded(combined).slice(0, 2), [[2, 'kept 1'], [2, 'kept 2']])
    const expected: Array<[number, unknown]> = [[0, ['cat', 1]], [0, ['the', 7]], [0, [7, 2]], [0, [[1, 'x'], 2]], [1, ['len', 7]]]
    assert.deepEqual(decoded(combined).slice(2).sort(byKey), expected.sort(byKey))
    const single = combined.find(o => o.port === 0 && (decodeValue(o.bytes) as unknown[])[0] === 'cat')
    assert.equal(single?.bytes, outputs[2].bytes, 'a key with one value is sent as emitted (no call)')
  })

  it('folds a key with more values than one call takes in several calls', async () => {
    let calls = 0
    const counting: CombineCall = (fn, input) => { calls++; return call(fn, input) }
    const n = 2 * COMBINE_GROUP + 10
    const combined = await combineOutputs(Array.from({ length: n }, () => pair(0, 'w', 1)), [{ port: 0, fn: sumFn }], counting)
    assert.deepEqual(decoded(combined), [[0, ['w', n]]])
    assert.equal(calls, 3)
  })

  it('leaves the outputs as they were when an output is not a pair, or combining fails or emits other than one value', async () => {
    const withJunk = [pair(0, 'a', 1), pair(0, 'a', 1), { port: 0, bytes: encodeValue('not a pair') }]
    assert.equal(await combineOutputs(withJunk, [{ port: 0, fn: sumFn }], call), withJunk)
    const triple = [pair(0, 'a', 1), { port: 0, bytes: encodeValue(['a', 1, 2]) }]
    assert.equal(await combineOutputs(triple, [{ port: 0, fn: sumFn }], call), triple)
    const pairs = [pair(0, 'a', 1), pair(0, 'a', 1)]
    assert.equal(await combineOutputs(pairs, [{ port: 0, fn: sumFn }], () => { throw new Error('trap') }), pairs)
    assert.equal(await combineOutputs(pairs, [{ port: 0, fn: sumFn }], () => []), pairs)
    assert.equal(await combineOutputs(pairs, [{ port: 0, fn: sumFn }], async () => [{ port: 1, bytes: encodeValue(2) }]), pairs)
  })
})

/** The same functions as `call`, called the synchronous packed way (as the sandbox calls ABI v1 instances). */
const packedCall = (fns: readonly FunctionRef[]): PackedCombineCall => (c, input, len, out) => {
  for (const o of call(fns[c], input.slice(0, len)) as Emitted[]) out.append(o.port, o.bytes, 0, o.bytes.length)
}
/** What PackedCombiner writes, as outputs. */
const packedCombine = (combiner: PackedCombiner, outputs: readonly Emitted[], fns: readonly FunctionRef[], ports: readonly number[], combine = packedCall(fns)): Emitted[] => {
  const packed = packOutputs(outputs)
  const out = new PackedScratch()
  combiner.combine(packed, packed.length, ports, combine, out)
  return unpackOutputs(out.bytes.slice(0, out.length))
}
const same = (outputs: readonly Emitted[]): Array<[number, number[]]> => outputs.map(o => [o.port, [...o.bytes]])

describe('PackedCombiner (the combiner over packed outputs, synchronous calls)', () => {
  it('writes what combineOutputs gives: two combined ports folded per key, an uncombined one first and in order', async () => {
    const outputs = [
      pair(0, 'the', 1), { port: 2, bytes: encodeValue('kept 1') }, pair(0, 'cat', 1), pair(1, 'len', 3), pair(0, 'the', 1),
      pair(1, 'len', 7), pair(0, 7, 1), pair(0, 7, 1), pair(0, [1, 'x'], 2), { port: 2, bytes: encodeValue('kept 2') }, pair(0, 'the', 5)
    ]
    const combiners = [{ port: 0, fn: sumFn }, { port: 1, fn: maxFn }]
    const combiner = new PackedCombiner()
    const packed = packedCombine(combiner, outputs, [sumFn, maxFn], [0, 1])
    assert.deepEqual(same(packed), same(await combineOutputs(outputs, combiners, call)))
    assert.deepEqual(decoded(packed), [[2, 'kept 1'], [2, 'kept 2'], [0, ['the', 7]], [0, ['cat', 1]], [0, [7, 2]], [0, [[1, 'x'], 2]], [1, ['len', 7]]])
    // reused for the next chunk: nothing of the first one is left
    assert.deepEqual(decoded(packedCombine(combiner, [pair(1, 'len', 2), pair(0, 'a', 1)], [sumFn, maxFn], [0, 1])), [[0, ['a', 1]], [1, ['len', 2]]])
  })

  it('folds many keys (the tables grow) and a key with more values than one call takes, as combineOutputs does', async () => {
    const outputs: Emitted[] = []
    for (let i = 0; i < 3 * COMBINE_GROUP; i++) outputs.push(pair(0, `k${i % 5000}`, 1), pair(0, 'w', 2))
    let calls = 0
    const counting: PackedCombineCall = (c, input, len, out) => { calls++; packedCall([sumFn])(c, input, len, out) }
    const packed = packedCombine(new PackedCombiner(), outputs, [sumFn], [0], counting)
    assert.deepEqual(same(packed), same(await combineOutputs(outputs, [{ port: 0, fn: sumFn }], call)))
    assert.equal(packed.length, 5001)
    assert.deepEqual(decodeValue(packed.find(o => (decodeValue(o.bytes) as unknown[])[0] === 'w')!.bytes), ['w', 6 * COMBINE_GROUP])
    assert.equal(calls, 5000 + 4, 'keys k0…k4999 with several values, and `w` in 4 calls of at most COMBINE_GROUP values')
  })

  it('combines a chunk larger than a piece piece by piece, then the partials: the same outputs as in one pass', async () => {
    const outputs: Emitted[] = []
    let bytes = 0
    for (let i = 0; bytes < 3 * COMBINE_PIECE_BYTES; i++) {
      const o = i % 7 === 0 ? { port: 2, bytes: encodeValue(`kept ${i}`) } : pair(i % 3 === 0 ? 1 : 0, `key ${(i * 7919) % 20011}`, i % 5)
      outputs.push(o)
      bytes += 5 + o.bytes.length
    }
    outputs.push(pair(0, 'once', 9))
    const combiners = [{ port: 0, fn: sumFn }, { port: 1, fn: maxFn }]
    const combiner = new PackedCombiner()
    const packed = packedCombine(combiner, outputs, [sumFn, maxFn], [0, 1])
    assert.deepEqual(same(packed), same(await combineOutputs(outputs, combiners, call)))
    assert.ok(packed.length < outputs.length, `folded: ${packed.length} outputs from ${outputs.length}`)
    // a non-pair in the last piece: the whole chunk unchanged, the pieces combined before it too
    const junk = [...outputs, { port: 0, bytes: encodeValue('not a pair') }]
    assert.deepEqual(same(packedCombine(combiner, junk, [sumFn, maxFn], [0, 1])), same(junk))
  })

  it('writes the outputs unchanged, in order, when one is not a pair or a combine call fails or emits other than one value', () => {
    const combiner = new PackedCombiner()
    const cases: Array<[Emitted[], PackedCombineCall]> = [
      [[pair(0, 'a', 1), { port: 1, bytes: encodeValue('x') }, pair(0, 'a', 1), { port: 0, bytes: encodeValue('not a pair') }], packedCall([sumFn])],
      [[pair(0, 'a', 1), { port: 0, bytes: encodeValue(['a', 1, 2]) }], packedCall([sumFn])],
      [[pair(0, 'a', 1), { port: 0, bytes: new Uint8Array([0x92, 0xa1, 0x61]) }], packedCall([sumFn])],
      [[pair(0, 'a', 1), { port: 2, bytes: encodeValue('x') }, pair(0, 'a', 1)], () => { throw new Error('trap') }],
      [[pair(0, 'a', 1), pair(0, 'a', 1)], () => {}],
      [[pair(0, 'a', 1), pair(0, 'a', 1)], (_c, _input, _len, out) => { out.append(1, encodeValue(2), 0, 1) }],
      [[pair(0, 'a', 1), pair(0, 'a', 1)], (_c, _input, _len, out) => { out.append(0, encodeValue(2), 0, 1); out.append(0, encodeValue(2), 0, 1) }]
    ]
    for (const [outputs, combine] of cases) assert.deepEqual(same(packedCombine(combiner, outputs, [sumFn], [0], combine)), same(outputs))
    // and the combiner still folds the chunk after
    assert.deepEqual(decoded(packedCombine(combiner, [pair(0, 'a', 1), pair(0, 'a', 1)], [sumFn], [0])), [[0, ['a', 2]]])
  })
})
