/** WASI jobs on the wire and in sandbox batches: the io mode travels as an optional 6th tuple element / field. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isCoordinatorMessage, jobFromWire, jobToWire } from '../../../core/protocol/job-messages.js'
import { packJobs } from '../../../core/executor/packing.js'
import type { Job } from '../../../core/jobs.js'

const input = new Uint8Array([0xa1, 0x78])
const v1: Job = { id: 1, fn: { module: 'ab'.repeat(32), export: 'double' }, input, timeoutMs: 1000 }
const wasi: Job = { id: 2, fn: { module: 'cd'.repeat(32), export: '_start', wasi: 'msgpack' }, input, timeoutMs: 1000 }

describe('WASI jobs on the wire', () => {
  it('ABI v1 jobs keep the 5-tuple; WASI jobs add their io mode, and both round-trip', () => {
    assert.equal(jobToWire(v1).length, 5)
    assert.deepEqual(jobToWire(wasi).slice(5), ['msgpack'])
    assert.deepEqual(jobFromWire(jobToWire(v1)), v1)
    assert.deepEqual(jobFromWire(jobToWire(wasi)), wasi)
  })

  it('the guard accepts a known io mode as 6th element and nothing else', () => {
    assert.equal(isCoordinatorMessage({ t: 'jobs', jobs: [jobToWire(v1), jobToWire(wasi)] }), true)
    assert.equal(isCoordinatorMessage({ t: 'jobs', jobs: [[...jobToWire(v1), 'text']] }), false)
    assert.equal(isCoordinatorMessage({ t: 'jobs', jobs: [[...jobToWire(wasi), 'json']] }), false)
  })

  it('sandbox batches keep the io mode, and tell the same export with two modes apart', () => {
    const json: Job = { ...wasi, id: 3, fn: { ...wasi.fn, wasi: 'json' } }
    const { fns } = packJobs([v1, wasi, json, wasi])
    assert.deepEqual(fns, [v1.fn, wasi.fn, json.fn])
  })
})
