import { it } from 'node:test'
import assert from 'node:assert/strict'
import { skipValue } from '../../../core/util/msgpack-skip.js'
import { encodeValue } from '../../../core/codec.js'

it('skipValue finds the end of every kind of msgpack value, and -1 for a cut one', () => {
  const samples: unknown[] = [
    0, 127, -1, -32, -33, 200, 70_000, 5_000_000_000, -5_000_000_000, 1.5, null, true, false, '',
    'short', 'x'.repeat(40), 'y'.repeat(300), 'z'.repeat(70_000), new Uint8Array(3), new Uint8Array(300),
    [], [1, 'a', [2, [3]]], Array.from({ length: 20 }, (_, i) => i), Array.from({ length: 70_000 }, () => 0),
    { a: 1, b: [true] }, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])), 2n ** 63n - 1n
  ]
  for (const value of samples) {
    const bytes = encodeValue(value)
    const padded = new Uint8Array(bytes.length + 2)
    padded.set(bytes, 1)
    assert.equal(skipValue(padded, 1), bytes.length + 1, `end of ${JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v)?.slice(0, 40)}`)
    assert.equal(skipValue(bytes.subarray(0, bytes.length - 1), 0), -1, 'a value cut short')
  }
  assert.equal(skipValue(new Uint8Array([0xc1]), 0), -1, 'the never-used tag')
})
