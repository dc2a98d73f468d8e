import { it } from 'node:test'
import assert from 'node:assert/strict'
import { PairGroups } from '../../../core/run/pair-groups.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { packOutputs } from '../../../core/protocol/packed-outputs.js'
import { PackedScratch } from '../../../core/run/packed-scratch.js'

const pair = (port: number, key: unknown, value: unknown): { port: number, bytes: Uint8Array } => ({ port, bytes: encodeValue([key, value]) })

it('groups pairs by port and key bytes in place; lays out a key\'s values after a partial; writes [key, partial]', () => {
  const outputs = [pair(0, 'a', 1), pair(1, 'a', 2), { port: 3, bytes: encodeValue('kept') }, pair(0, 'a', 3), pair(0, 1, 4), pair(1, 'a', 5)]
  const packed = packOutputs(outputs)
  const groups = new PairGroups()
  assert.equal(groups.collect(packed, 0, packed.length, [0, 1]), true)
  // 'a' on port 0, 'a' on port 1 (another combiner: another group), 1 on port 0
  assert.equal(groups.groups, 3)
  assert.deepEqual([0, 1, 2].map(g => [groups.combiner(g), groups.size(g)]), [[0, 2], [1, 2], [0, 1]])
  const partial = encodeValue(10)
  const len = groups.packValues(groups.head(0), 2, partial, 0, partial.length)
  assert.deepEqual(decodeValue(groups.values.slice(0, len)), [10, 1, 3])
  assert.deepEqual(decodeValue(groups.values.slice(0, groups.packValues(groups.skip(groups.head(1), 1), 1, undefined, 0, 0))), [5])
  const out = new PackedScratch()
  groups.writeOthers(out)
  groups.writeFirst(2, 0, out)
  groups.writePair(0, 0, partial, 0, partial.length, out)
  const written: unknown[] = []
  for (let pos = 0; pos < out.length; pos = out.next(pos)) written.push([out.port(pos), decodeValue(out.bytes.slice(out.start(pos), out.next(pos)))])
  assert.deepEqual(written, [[3, 'kept'], [0, [1, 4]], [0, ['a', 10]]])
  // a range of the buffer alone: the second half
  const half = 5 + outputs[0].bytes.length + 5 + outputs[1].bytes.length + 5 + outputs[2].bytes.length
  assert.equal(groups.collect(packed, half, packed.length, [0, 1]), true)
  assert.equal(groups.groups, 3)
})

it('refuses a chunk with an output on a combined port that is not a [key, value] pair', () => {
  const groups = new PairGroups()
  for (const bad of [encodeValue('x'), encodeValue(['a']), encodeValue(['a', 1, 2]), new Uint8Array([0x92, 0xa1, 0x61]), new Uint8Array([0x92, 0xa5, 0x61])]) {
    const packed = packOutputs([pair(0, 'a', 1), { port: 0, bytes: bad }])
    assert.equal(groups.collect(packed, 0, packed.length, [0]), false, `refused: ${[...bad].join(' ')}`)
    const other = packOutputs([pair(0, 'a', 1), { port: 1, bytes: bad }])
    assert.equal(groups.collect(other, 0, other.length, [0]), true, 'an uncombined port may carry anything')
  }
})
