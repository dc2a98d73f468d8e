/** Chunks on the job stream: which jobs are chunks, their packed outcomes, the failing item, and the guards. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isCoordinatorMessage, isWorkerMessage, jobToWire, outcomeFromWire, outcomeToWire } from '../../../core/protocol/job-messages.js'
import { packOutputs } from '../../../core/protocol/packed-outputs.js'
import { encodeRangeChunk } from '../../../core/run/chunks.js'
import type { Job, JobOutcome } from '../../../core/jobs.js'

const chunk: Job = { id: 7, fn: { module: 'ab'.repeat(32), export: 'double' }, input: encodeRangeChunk({ start: 0, count: 3, step: 1 }), timeoutMs: 1000, chunk: 'range' }
const outputs = [{ port: 0, bytes: new Uint8Array([0]) }, { port: 1, bytes: new Uint8Array([]) }, { port: 0, bytes: new Uint8Array([0xcd, 1, 2]) }]

describe('chunks on the wire', () => {
  it('a chunk outcome travels packed with its time, and comes back the same', () => {
    const outcome: JobOutcome = { id: 7, ok: true, outputs, ms: 12.5 }
    const wire = outcomeToWire(outcome)
    assert.equal(wire[1], 2)
    assert.equal(isWorkerMessage({ t: 'results', results: [wire] }), true)
    const back = outcomeFromWire(wire)
    assert.equal(back.ok, true)
    if (back.ok) {
      assert.equal(back.ms, 12.5)
      assert.deepEqual(back.outputs.map(o => [o.port, [...o.bytes]]), outputs.map(o => [o.port, [...o.bytes]]))
    }
  })

  it('a failed chunk names its failing item; plain outcomes keep their old shapes', () => {
    const failed = outcomeToWire({ id: 7, ok: false, error: { name: 'WasmTrapError', message: 'item 2 of a chunk: unreachable' }, item: 2 })
    assert.equal(failed.length, 5)
    assert.equal(isWorkerMessage({ t: 'results', results: [failed] }), true)
    assert.deepEqual(outcomeFromWire(failed), { id: 7, ok: false, error: { name: 'WasmTrapError', message: 'item 2 of a chunk: unreachable' }, item: 2 })
    assert.equal(outcomeToWire({ id: 1, ok: false, error: { name: 'E', message: 'm' } }).length, 4)
    assert.equal(outcomeToWire({ id: 1, ok: true, outputs })[1], 1)
  })

  it('the guards refuse packed outputs whose lengths do not add up, a bad time or item, and chunk ids beyond the jobs', () => {
    const packed = packOutputs(outputs)
    for (const bad of [packed.subarray(0, packed.length - 1), new Uint8Array([0, 255, 255, 255, 255]), new Uint8Array([0, 0, 0])]) {
      assert.equal(isWorkerMessage({ t: 'results', results: [[7, 2, bad, 1]] }), false)
    }
    assert.equal(isWorkerMessage({ t: 'results', results: [[7, 2, packed, -1]] }), false)
    assert.equal(isWorkerMessage({ t: 'results', results: [[7, 0, 'E', 'm', -1]] }), false)
    assert.equal(isWorkerMessage({ t: 'results', results: [[7, 0, 'E', 'm', 65536]] }), false)
    assert.equal(isCoordinatorMessage({ t: 'jobs', jobs: [jobToWire(chunk)], chunks: [7] }), true)
    assert.equal(isCoordinatorMessage({ t: 'jobs', jobs: [jobToWire(chunk)], chunks: [7, 8] }), false)
    assert.equal(isCoordinatorMessage({ t: 'jobs', jobs: [jobToWire(chunk)], chunks: ['7'] }), false)
  })
})
