/**
 * The outcome buffer (core/executor/outcome-buffer.ts) round trip: every kind of record in one buffer, packed
 * chunk records among them (unchained and chained, growing the buffer while outputs arrive, one dropped when
 * its chunk failed), read back in order; a packed record settles as a chunkOutcome whose outputs unpack on
 * demand and whose bytes the wire sends as they are.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import type { Emitted } from '../../../core/abi/abi.js'
import { newBatch, settleUnpacked } from '../../../core/executor/batch-state.js'
import { OutcomeWriter, unpackOutcomes } from '../../../core/executor/outcome-buffer.js'
import type { JobOutcome } from '../../../core/jobs.js'
import { outcomeToWire } from '../../../core/protocol/job-messages.js'
import { packOutputs } from '../../../core/protocol/packed-outputs.js'

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values)

/** Appends outputs as FunctionInstance.callPacked does: from a "memory" array, at an offset. */
function appendAll (writer: OutcomeWriter, outputs: readonly Emitted[]): void {
  for (const o of outputs) {
    const memory = new Uint8Array(o.bytes.length + 7)
    memory.set(o.bytes, 7)
    writer.append(o.port, memory, 7, o.bytes.length)
  }
}

it('every kind of record in one buffer reads back in order, packed ones as one view in the wire layout', () => {
  const small: Emitted[] = [{ port: 0, bytes: bytes(1) }, { port: 3, bytes: bytes() }, { port: 255, bytes: bytes(9, 8, 7) }]
  // long outputs (copied whole) and many short ones (copied byte by byte): the buffer doubles several times
  const big: Emitted[] = Array.from({ length: 2000 }, (_, i) => ({ port: i % 3, bytes: new Uint8Array(i % 40).fill(i & 0xff) }))
  const writer = new OutcomeWriter(64)
  writer.ok([{ port: 1, bytes: bytes(5, 6) }])
  writer.beginPacked(1)
  appendAll(writer, small)
  writer.endPacked(1.5)
  writer.error({ name: 'WasmTrapError', message: 'trap: unreachable' })
  writer.beginPacked(3, 100)
  appendAll(writer, big)
  writer.endPacked(2.5, [10, 20])
  // a chunk that fails after some outputs: its record is dropped, its error follows
  writer.beginPacked(2)
  appendAll(writer, big.slice(0, 50))
  writer.abortPacked()
  writer.error({ name: 'OutputLimitError', message: 'item 7 of a chunk: too much' }, 7, 1)
  writer.chunk(small, 3.5)
  writer.chain(small, 4.5, [3])
  writer.beginPacked(1)
  writer.endPacked(0.25) // a chunk whose items emitted nothing
  writer.error({ name: 'WasmTrapError', message: 'item 2 of a chunk: x' }, 2)
  const { buffer, byteLength } = writer.finish()
  const outcomes = unpackOutcomes(buffer, byteLength, 9)
  assert.deepEqual(outcomes[0], { ok: true, outputs: [{ port: 1, bytes: bytes(5, 6) }] })
  assert.deepEqual(outcomes[1], { ok: true, packed: packOutputs(small), ms: 1.5 })
  assert.deepEqual(outcomes[2], { ok: false, error: { name: 'WasmTrapError', message: 'trap: unreachable' } })
  assert.deepEqual(outcomes[3], { ok: true, packed: packOutputs(big), ms: 2.5, emitted: [10, 20] })
  assert.deepEqual(outcomes[4], { ok: false, error: { name: 'OutputLimitError', message: 'item 7 of a chunk: too much' }, item: 7, stage: 1 })
  assert.deepEqual(outcomes[5], { ok: true, outputs: small, ms: 3.5 })
  assert.deepEqual(outcomes[6], { ok: true, outputs: small, ms: 4.5, emitted: [3] })
  assert.deepEqual(outcomes[7], { ok: true, packed: new Uint8Array(0), ms: 0.25 })
  assert.deepEqual(outcomes[8], { ok: false, error: { name: 'WasmTrapError', message: 'item 2 of a chunk: x' }, item: 2 })
})

it('a packed record settles as a chunk outcome: outputs unpacked on demand, the wire takes the bytes as they are', () => {
  const outputs: Emitted[] = [{ port: 0, bytes: bytes(0xcd, 1, 2) }, { port: 1, bytes: bytes(0x90) }]
  const writer = new OutcomeWriter()
  writer.beginPacked(2)
  appendAll(writer, outputs)
  writer.endPacked(12, [4])
  const { buffer, byteLength } = writer.finish()
  let settled: JobOutcome[] | undefined
  const batch = newBatch([{ id: 41, fn: { module: 'm', export: 'f' }, input: bytes(), timeoutMs: 1000, chunk: 'range' }], o => { settled = o }, () => {})
  assert.equal(settleUnpacked(batch, 0, unpackOutcomes(buffer, byteLength, 1)[0]), true)
  const [outcome] = settled!
  assert.ok(outcome.ok)
  assert.equal(outcome.id, 41)
  assert.equal(outcome.ms, 12)
  assert.deepEqual(outcome.emitted, [4])
  assert.deepEqual(outcome.packed, packOutputs(outputs))
  assert.equal(outcome.packed?.buffer, buffer, 'a view into the transferred buffer, not a copy')
  assert.deepEqual(outcome.outputs, outputs)
  const wire = outcomeToWire(outcome)
  assert.equal(wire[2], outcome.packed, 'sent as it is')
  assert.deepEqual(wire, [41, 2, packOutputs(outputs), 12, [4]])
})

it('a buffer whose records do not end at its length is refused', () => {
  const writer = new OutcomeWriter()
  writer.beginPacked(1)
  appendAll(writer, [{ port: 0, bytes: bytes(1, 2, 3) }])
  writer.endPacked(1)
  const { buffer, byteLength } = writer.finish()
  assert.throws(() => unpackOutcomes(buffer, byteLength + 1, 1), /outcome buffer holds/)
})
