/**
 * FunctionInstance.callPacked, the chunk loop's call (core/executor/sandbox.ts): the outputs it appends to
 * the outcome buffer are exactly what `call` returns item by item, packed; a range item written as a number
 * is the input encodeValue would give; the output cap holds per call; a failing item is named and leaves the
 * instance broken; views follow a memory that grows under them.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { compileModule, FunctionInstance } from '../../../core/abi/host.js'
import type { Emitted } from '../../../core/abi/abi.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { OutcomeWriter, unpackOutcomes } from '../../../core/executor/outcome-buffer.js'
import { packOutputs } from '../../../core/protocol/packed-outputs.js'
import { runChain, runChainChunk } from '../../../core/run/chain-chunk.js'
import type { ChainRun, StageCall } from '../../../core/run/chain-chunk.js'
import { chunkView } from '../../../core/run/chunk-view.js'
import { encodeRangeChunk } from '../../../core/run/chunks.js'
import type { RangeChunk } from '../../../core/run/chunks.js'
import { packItems } from '../../../core/run/item-chunks.js'
import { assembleWat } from '../../fixtures/executor/fixtures.js'

const double = await compileModule(await assembleWat('double.wat'))
const growEcho = await compileModule(await assembleWat('grow-echo.wat'))

/** Runs a chunk through `exportName` with the packed call; the record as the pool reads it back. */
function runPacked (instance: FunctionInstance, exportName: string, view: ReturnType<typeof chunkView>): { run: ChainRun, packed?: Uint8Array } {
  const writer = new OutcomeWriter(64) // small: the record grows while outputs arrive
  const fn = instance.exportFn(exportName)
  writer.beginPacked(1)
  const run = runChain(view, [], (src, at, len) => { instance.callPacked(fn, src, at, len, writer) })
  if (!run.ok) {
    writer.abortPacked()
    return { run }
  }
  writer.endPacked(run.ms)
  const { buffer, byteLength } = writer.finish()
  const [outcome] = unpackOutcomes(buffer, byteLength, 1)
  assert.ok(outcome.ok && outcome.packed !== undefined)
  return { run, packed: outcome.packed }
}

/** Today's path: `call` per item (its msgpack from encodeValue), every output in order. */
function perCall (instance: FunctionInstance, exportName: string, inputs: readonly Uint8Array[]): Emitted[] {
  const outputs: Emitted[] = []
  for (const input of inputs) outputs.push(...instance.call(exportName, input))
  return outputs
}

const range = (chunk: RangeChunk): number[] => Array.from({ length: chunk.count }, (_, i) => chunk.start + i * chunk.step)

it('a range chunk emitting 0, 1 and several outputs on two ports: the packed bytes of call item by item', async () => {
  const packedInstance = await FunctionInstance.instantiate(double.module, double.memory)
  const plainInstance = await FunctionInstance.instantiate(double.module, double.memory)
  // emit_n(n) emits 0…n-1, value i on port i % 2; items 0 to 40 cross the fixint/uint8 line of the input
  const chunk = { start: 0, count: 41, step: 1 }
  const { run, packed } = runPacked(packedInstance, 'emit_n', chunkView('range', encodeRangeChunk(chunk)))
  assert.equal(run.ok, true)
  const expected = perCall(plainInstance, 'emit_n', range(chunk).map(n => encodeValue(n)))
  assert.equal(expected.length, 41 * 40 / 2)
  assert.ok(expected.some(o => o.port === 1))
  assert.deepEqual(packed, packOutputs(expected))
})

it('a range item written as a number is the input encodeValue gives (uint8, uint16, uint32 inputs)', async () => {
  const instance = await FunctionInstance.instantiate(double.module, double.memory)
  const other = await FunctionInstance.instantiate(double.module, double.memory)
  const chunk = { start: 100, count: 300, step: 7919 } // 100 … 2.4M: inputs of 1, 2, 3 and 5 bytes
  const { run, packed } = runPacked(instance, 'double', chunkView('range', encodeRangeChunk(chunk)))
  assert.equal(run.ok, true)
  assert.deepEqual(packed, packOutputs(perCall(other, 'double', range(chunk).map(n => encodeValue(n)))))
})

it('an item over the output cap fails the chunk at that item; the cap holds per call, not per chunk', async () => {
  const limits = { maxMemoryPages: 16, maxOutputBytes: 4 }
  const instance = await FunctionInstance.instantiate(double.module, double.memory, limits)
  // items 0…4 emit 0…4 one-byte outputs (10 bytes in all, 4 at most per call); item 5 emits 5 bytes
  const { run } = runPacked(instance, 'emit_n', chunkView('range', encodeRangeChunk({ start: 0, count: 8, step: 1 })))
  assert.equal(run.ok, false)
  if (!run.ok) {
    assert.equal(run.item, 5)
    assert.equal(run.stage, 0)
    assert.equal(run.error.name, 'OutputLimitError')
    assert.match(run.error.message, /^item 5 of a chunk: emitted more than 4 bytes in one call/)
  }
  assert.equal(instance.broken, true, 'a failed call leaves the instance to be re-made')
})

it('a trap mid-chunk names its item (index and value) and breaks the instance', async () => {
  const instance = await FunctionInstance.instantiate(double.module, double.memory)
  // items 2, 1, 0, -1, -2: double refuses the negative -1 (grid.fail)
  const { run } = runPacked(instance, 'double', chunkView('range', encodeRangeChunk({ start: 2, count: 5, step: -1 })))
  assert.equal(run.ok, false)
  if (!run.ok) {
    assert.equal(run.item, 3)
    assert.equal(run.error.name, 'WasmTrapError')
    assert.match(run.error.message, /^item -1 of a chunk: double: input is not a msgpack unsigned integer/)
  }
  assert.equal(instance.broken, true)
})

it('an item chunk through a memory that grows at every alloc and every call: outputs equal inputs, long and short', async () => {
  const instance = await FunctionInstance.instantiate(growEcho.module, growEcho.memory)
  const items = ['', 'a', 'x'.repeat(15), 'y'.repeat(16), 'z'.repeat(17), 'w'.repeat(5000)].map(s => encodeValue(s))
  const { run, packed } = runPacked(instance, 'echo', chunkView('items', packItems(items)))
  assert.equal(run.ok, true)
  assert.deepEqual(packed, packOutputs(items.map(bytes => ({ port: 0, bytes }))))
  assert.ok(instance.memoryBytes >= 2 * items.length * 65536, 'the memory grew under the host\'s views')
})

it('a chain called packed (head into a scratch buffer, tail into the record): the same outputs and stage counts as runChainChunk with call', async () => {
  const a = await FunctionInstance.instantiate(double.module, double.memory)
  const b = await FunctionInstance.instantiate(double.module, double.memory)
  const view = chunkView('range', encodeRangeChunk({ start: 1, count: 6, step: 3 }))
  // double then emit_n: items 1, 4, … 16 become 2, 8, … 32, each emitting that many outputs on ports 0 and 1;
  // one instance serves both stages, as when a chain calls one module twice
  const writer = new OutcomeWriter(64)
  writer.beginPacked(2)
  const doubleFn = a.exportFn('double')
  const emitN = a.exportFn('emit_n')
  const run = runChain(view, [(src, at, len, out) => { a.callPacked(doubleFn, src, at, len, out) }], (src, at, len) => { a.callPacked(emitN, src, at, len, writer) })
  assert.ok(run.ok)
  writer.endPacked(run.ms, run.emitted)
  const { buffer, byteLength } = writer.finish()
  const [outcome] = unpackOutcomes(buffer, byteLength, 1)
  const expected = runChainChunk(view, [item => b.call('double', item), item => b.call('emit_n', item)])
  assert.ok(expected.ok && outcome.ok && outcome.packed !== undefined)
  assert.deepEqual(run.emitted, [6])
  assert.deepEqual(outcome.emitted, expected.emitted)
  assert.equal(expected.outputs.length, 2 + 8 + 14 + 20 + 26 + 32)
  assert.deepEqual(outcome.packed, packOutputs(expected.outputs))
  assert.deepEqual(expected.outputs.slice(0, 4).map(o => [o.port, decodeValue(o.bytes)]), [[0, 0], [1, 1], [0, 0], [1, 1]])
})

it('a chained stage emitting on another port than 0 fails its item at that stage; long outputs pass between stages whole', async () => {
  const a = await FunctionInstance.instantiate(double.module, double.memory)
  const emitN = a.exportFn('emit_n')
  const doubleFn = a.exportFn('double')
  const writer = new OutcomeWriter(64)
  writer.beginPacked(2)
  // emit_n(0) emits nothing, emit_n(1) one output on port 0, emit_n(2) a second one on port 1
  const run = runChain(chunkView('range', encodeRangeChunk({ start: 0, count: 4, step: 1 })),
    [(src, at, len, out) => { a.callPacked(emitN, src, at, len, out) }], (src, at, len) => { a.callPacked(doubleFn, src, at, len, writer) })
  writer.abortPacked()
  assert.equal(run.ok, false)
  if (!run.ok) {
    assert.equal(run.item, 2)
    assert.equal(run.stage, 0)
    assert.equal(run.error.name, 'OutputLimitError')
    assert.match(run.error.message, /^item 2 of a chunk: emitted on port 1, but the stage has 1 output/)
  }

  const echo = await FunctionInstance.instantiate(growEcho.module, growEcho.memory)
  const echoFn = echo.exportFn('echo')
  // long outputs, copied whole between stages (grow-echo places each input in a fresh 64 KiB page)
  const items = ['v'.repeat(3000), 'short', 'u'.repeat(60000)].map(s => encodeValue(s))
  const chained = new OutcomeWriter(64)
  chained.beginPacked(3)
  const call: StageCall = (src, at, len, out) => { echo.callPacked(echoFn, src, at, len, out) }
  const ok = runChain(chunkView('items', packItems(items)), [call, call], (src, at, len) => { call(src, at, len, chained) })
  assert.ok(ok.ok)
  chained.endPacked(ok.ms, ok.emitted)
  const { buffer, byteLength } = chained.finish()
  const [outcome] = unpackOutcomes(buffer, byteLength, 1)
  assert.ok(outcome.ok && outcome.packed !== undefined)
  assert.deepEqual(outcome.emitted, [3, 3])
  assert.deepEqual(outcome.packed, packOutputs(items.map(bytes => ({ port: 0, bytes }))))
})
