/** Chained chunks on the job stream: the chain's functions once per message, the stage counts, the failing stage, and the guards. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { fnFromWire, fnToWire, isCoordinatorMessage, isWorkerMessage, jobToWire, outcomeFromWire, outcomeToWire } from '../../../core/protocol/job-messages.js'
import { encodeRangeChunk } from '../../../core/run/chunks.js'
import { MAX_CHAIN_STAGES } from '../../../core/run/chain-chunk.js'
import { withChunkFields } from '../../../core/protocol/chunk-fields.js'
import type { FunctionRef, Job } from '../../../core/jobs.js'

const module = 'ab'.repeat(32)
const chain: FunctionRef[] = [{ module, export: 'inc' }, { module, export: 'f', js: true }, { module, export: 'g', wasi: 'json' }]
const job: Job = { id: 7, fn: { module, export: 'double' }, input: encodeRangeChunk({ start: 0, count: 3, step: 1 }), timeoutMs: 1000, chunk: 'range', chain }
const outputs = [{ port: 0, bytes: new Uint8Array([4]) }, { port: 1, bytes: new Uint8Array([]) }]

describe('chained chunks on the wire', () => {
  it('a jobs message lists each chain once with its job ids; the worker gives those jobs their chain', () => {
    const wireChain = chain.map(fnToWire)
    assert.deepEqual(wireChain.map(fnFromWire), chain)
    const message = { t: 'jobs', jobs: [jobToWire(job), jobToWire({ ...job, id: 8 }), jobToWire({ ...job, id: 9, chain: undefined })], chunks: [7, 8, 9], chains: [[wireChain, [7, 8]]] }
    assert.equal(isCoordinatorMessage(message), true)
    const jobs = withChunkFields([{ ...job, chain: undefined, chunk: undefined }, { ...job, id: 8, chain: undefined, chunk: undefined }, { ...job, id: 9, chain: undefined, chunk: undefined }], message as never)
    assert.deepEqual(jobs.map(j => [j.chunk, j.chain?.map(f => f.export)]), [['range', ['inc', 'f', 'g']], ['range', ['inc', 'f', 'g']], ['range', undefined]])
    assert.equal(jobs[0].chain, jobs[1].chain, 'one chain array per message (the executor packs it once per batch)')
  })

  it('a chained outcome carries the stage counts; a failure its item and stage; both come back the same', () => {
    const ok = outcomeToWire({ id: 7, ok: true, outputs, ms: 3, emitted: [3, 6, 6] })
    assert.equal(isWorkerMessage({ t: 'results', results: [ok] }), true)
    const back = outcomeFromWire(ok)
    assert.ok(back.ok)
    assert.deepEqual(back.emitted, [3, 6, 6])
    const failed = outcomeToWire({ id: 7, ok: false, error: { name: 'WasmTrapError', message: 'item 2 of a chunk: unreachable' }, item: 2, stage: 1 })
    assert.equal(isWorkerMessage({ t: 'results', results: [failed] }), true)
    assert.deepEqual(outcomeFromWire(failed), { id: 7, ok: false, error: { name: 'WasmTrapError', message: 'item 2 of a chunk: unreachable' }, item: 2, stage: 1 })
  })

  it('the guards refuse chains that are empty, too long or malformed, and bad counts or stages', () => {
    const jobs = [jobToWire(job)]
    const fn = fnToWire(chain[0])
    for (const bad of [[[], [7]], [Array(MAX_CHAIN_STAGES).fill(fn), [7]], [[['x'.repeat(129), 'f']], [7]], [[[module, 'f', 'nope']], [7]], [[fn], ['7']], [[fn]]]) {
      assert.equal(isCoordinatorMessage({ t: 'jobs', jobs, chunks: [7], chains: [bad] }), false, JSON.stringify(bad).slice(0, 80))
    }
    assert.equal(isCoordinatorMessage({ t: 'jobs', jobs, chunks: [7], chains: [[[fn], [7]], [[fn], [7]]] }), false, 'more chains than jobs')
    const packed = outcomeToWire({ id: 7, ok: true, outputs, ms: 3 })
    assert.equal(isWorkerMessage({ t: 'results', results: [[...packed, [-1]]] }), false)
    assert.equal(isWorkerMessage({ t: 'results', results: [[...packed, Array(MAX_CHAIN_STAGES).fill(1)]] }), false)
    assert.equal(isWorkerMessage({ t: 'results', results: [[7, 0, 'E', 'm', 1, MAX_CHAIN_STAGES]] }), false)
    assert.equal(isWorkerMessage({ t: 'results', results: [[7, 0, 'E', 'm', 1, -1]] }), false)
  })
})
