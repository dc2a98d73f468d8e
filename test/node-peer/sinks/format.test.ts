import { it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { intJson, jsonlOfBlocks, toJsonLine } from '../../../node-peer/sinks/format.js'
import { packOutputs } from '../../../core/protocol/packed-outputs.js'

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

it('jsonlOfBlocks writes the items of packed blocks as the JSONL sink writes them one by one, integers and the rest', () => {
  const values: unknown[] = [0, 1, 127, 128, 65536, 2 ** 32 - 1, -1, -33, -32769, -(2 ** 31), 2 ** 32, 1.5, 'a', null, [1, 'b'], { a: 1 }]
  const blocks = [packOutputs(values.slice(0, 9).map(v => ({ port: 0, bytes: encodeValue(v) }))), packOutputs([]), packOutputs(values.slice(9).map(v => ({ port: 0, bytes: encodeValue(v) })))]
  const expected = values.map(v => toJsonLine(decodeValue(encodeValue(v))) + '\n').join('')
  assert.equal(jsonlOfBlocks(blocks).toString('utf8'), expected)
  assert.equal(jsonlOfBlocks([]).length, 0)
  // arrays of two-digit numbers: 1 msgpack byte each, 3 characters of JSON, beyond the buffer's first guess
  const arrays = Array.from({ length: 100 }, (_, i) => Array.from({ length: 100 }, (_, k) => 10 + (i + k) % 90))
  assert.equal(jsonlOfBlocks([packOutputs(arrays.map(v => ({ port: 0, bytes: encodeValue(v) })))]).toString(), arrays.map(v => `${JSON.stringify(v)}\n`).join(''), 'the buffer grows past its first guess')
})
