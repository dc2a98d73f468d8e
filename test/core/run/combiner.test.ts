import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { combineOutputs, COMBINE_GROUP } from '../../../core/run/combiner.js'
import type { CombineCall } from '../../../core/run/combiner.js'
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
