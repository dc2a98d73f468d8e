/** The number encoder writes exactly the bytes msgpackr's encodeValue gives, for every kind of number. */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeValue } from '../../core/codec.js'
import { msgpackNumberLength, writeMsgpackNumber } from '../../core/msgpack-number.js'

const edges = [
  0, 1, 31, 32, 63, 64, 127, 128, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1,
  2 ** 53 - 1, 2 ** 53, 2 ** 64, -1, -31, -32, -33, -127, -128, -129, -32767, -32768, -32769, -(2 ** 31) + 1,
  -(2 ** 31), -(2 ** 31) - 1, -(2 ** 32), -(2 ** 53), -0, 0.5, -0.5, 1.5, 0.1, 1e-300, 1e300, Number.MAX_VALUE,
  Number.MIN_VALUE, Number.EPSILON, 123456.789, -98765.4321, Infinity, -Infinity, NaN
]

function encoded (n: number): Uint8Array {
  const target = new Uint8Array(msgpackNumberLength(n) + 2).fill(0xee)
  const end = writeMsgpackNumber(target, 1, n)
  assert.equal(end, 1 + msgpackNumberLength(n), `end of ${n}`)
  assert.equal(target[0], 0xee, `${n} wrote before its place`)
  assert.equal(target[end], 0xee, `${n} wrote past its length`)
  return target.subarray(1, end)
}

it('edge values: the same bytes as encodeValue (fixint, uint8/16/32, negative fixint, int8/16/32, float64)', () => {
  for (const n of edges) assert.deepEqual(encoded(n), new Uint8Array(encodeValue(n)), `encoding of ${n}`)
})

it('every integer around each boundary and a bounded sweep of steps: the same bytes as encodeValue', () => {
  const boundaries = [0, 0x20, 0x80, 0x100, 0x10000, 2 ** 32, -0x20, -0x80, -0x8000, -(2 ** 31)]
  for (const b of boundaries) {
    for (let d = -3; d <= 3; d++) assert.deepEqual(encoded(b + d), new Uint8Array(encodeValue(b + d)), `encoding of ${b + d}`)
  }
  // a range with a fractional step, as a range source may have
  for (let i = 0; i < 1000; i++) {
    const n = -50 + i * 0.37
    assert.deepEqual(encoded(n), new Uint8Array(encodeValue(n)), `encoding of ${n}`)
  }
})
