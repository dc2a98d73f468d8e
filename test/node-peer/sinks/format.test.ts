import { it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { intJson, toJsonLine } from '../../../node-peer/sinks/format.js'

it('intJson reads every msgpack integer encoding as toJsonLine would, and declines anything else', () => {
  const ints = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 31, 2 ** 32 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), 20_000_000]
  for (const n of ints) {
    const bytes = encodeValue(n)
    assert.equal(intJson(bytes), toJsonLine(decodeValue(bytes)), `${n}`)
  }
  for (const other of [2 ** 32, -(2 ** 31) - 1, 1.5, 'a', null, true, [1], { a: 1 }]) {
    assert.equal(intJson(encodeValue(other)), undefined, JSON.stringify(other))
  }
})
