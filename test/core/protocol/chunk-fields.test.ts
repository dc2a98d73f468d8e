/** Item chunks and combiners on the job stream: the coordinator lists them, the worker marks its jobs, the guards check. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isCoordinatorMessage, jobFromWire, jobToWire } from '../../../core/protocol/job-messages.js'
import type { CoordinatorMessage } from '../../../core/protocol/job-messages.js'
import { chunkFieldsOf, withChunkFields } from '../../../core/protocol/chunk-fields.js'
import { encodeRangeChunk } from '../../../core/run/chunks.js'
import { packItems } from '../../../core/run/item-chunks.js'
import { encodeValue } from '../../../core/codec.js'
import type { Job } from '../../../core/jobs.js'

const module = 'ab'.repeat(32)
const sum = { module: 'cd'.repeat(32), export: 'sum' }
const maxJs = { module: 'ef'.repeat(32), export: 'max', js: true as const }
const jobs: Job[] = [
  { id: 1, fn: { module, export: 'split' }, input: packItems([encodeValue('a b'), encodeValue('c')]), timeoutMs: 1000, chunk: 'items', combine: [{ port: 0, fn: sum }, { port: 1, fn: maxJs }] },
  { id: 2, fn: { module, export: 'double' }, input: encodeRangeChunk({ start: 0, count: 4, step: 1 }), timeoutMs: 1000, chunk: 'range' },
  { id: 3, fn: { module, export: 'double' }, input: encodeValue(5), timeoutMs: 1000 },
  { id: 4, fn: { module, export: 'split' }, input: packItems([encodeValue('d')]), timeoutMs: 1000, chunk: 'items', combine: [{ port: 0, fn: sum }] }
]

describe('chunk fields of a jobs message', () => {
  it('list range chunks, item chunks and each combiner once with its chunks; the worker gets the jobs back as sent', () => {
    const fields = chunkFieldsOf(jobs)!
    assert.deepEqual(fields.chunks, [2])
    assert.deepEqual(fields.items, [1, 4])
    assert.deepEqual(fields.combine, [[[1, 4], 0, sum.module, 'sum'], [[1], 1, maxJs.module, 'max', 'js']])
    const message: CoordinatorMessage = { t: 'jobs', jobs: jobs.map(jobToWire), ...fields }
    assert.equal(isCoordinatorMessage(message), true)
    const back = withChunkFields((message as Extract<CoordinatorMessage, { t: 'jobs' }>).jobs.map(jobFromWire), message as Extract<CoordinatorMessage, { t: 'jobs' }>)
    assert.deepEqual(back, jobs)
    assert.equal(chunkFieldsOf([jobs[2]]), undefined, 'a message without chunks carries no fields')
  })

  it('the guards refuse item ids beyond the jobs and malformed combiners', () => {
    const wire = jobs.map(jobToWire)
    assert.equal(isCoordinatorMessage({ t: 'jobs', jobs: wire.slice(0, 1), items: [1, 4] }), false)
    assert.equal(isCoordinatorMessage({ t: 'jobs', jobs: wire, items: ['1'] }), false)
    for (const combine of [[[[1], 256, module, 'sum']], [[[1], 0, module]], [[['1'], 0, module, 'sum']], [[[1], 0, module, 'sum', 'fortran']], [[1, 0, module, 'sum']]]) {
      assert.equal(isCoordinatorMessage({ t: 'jobs', jobs: wire, items: [1], combine }), false, JSON.stringify(combine))
    }
  })
})
