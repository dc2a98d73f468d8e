import { it } from 'node:test'
import assert from 'node:assert/strict'
import { ThreadPool } from '../../../node-peer/executor/pool.js'
import { sha256Hex } from '../../../core/abi/host.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import type { Job } from '../../../core/jobs.js'
import { loadExecutorFixtures } from '../../fixtures/executor/fixtures.js'

const JOBS = 100_000
const BATCH = 256
const THREADS = 2
/** Batches in flight per thread, as LocalWorkers keeps them: one running, one waiting. */
const IN_FLIGHT = 2 * THREADS

it(`${JOBS} trivial jobs come back exactly once and correct, in batches of ${BATCH} on ${THREADS} threads`, async t => {
  const { double } = await loadExecutorFixtures()
  const hash = await sha256Hex(double)
  const pool = new ThreadPool({ threads: THREADS })
  try {
    await pool.addModule(hash, double)
    const jobs: Job[] = Array.from({ length: JOBS }, (_, i) => ({ id: i, fn: { module: hash, export: 'double' }, input: encodeValue(i), timeoutMs: 30_000 }))
    await pool.run(jobs.slice(0, BATCH * THREADS)) // warm up: threads started, instances made
    let next = 0
    let checked = 0
    const started = performance.now()
    const worker = async (): Promise<void> => {
      while (next < JOBS) {
        const batch = jobs.slice(next, next + BATCH)
        next += batch.length
        for (const outcome of await pool.run(batch)) {
          assert.ok(outcome.ok)
          assert.equal(decodeValue(outcome.outputs[0].bytes), 2 * outcome.id)
          checked++
        }
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
    const seconds = (performance.now() - started) / 1000
    assert.equal(checked, JOBS)
    const rate = Math.round(JOBS / seconds)
    t.diagnostic(`${rate} jobs/s (${JOBS} jobs, batches of ${BATCH}, ${THREADS} threads, ${IN_FLIGHT} batches in flight, outcomes decoded and checked)`)
    // Speed is measured by `npm run bench`, not asserted here: shared machines are noisy.
  } finally {
    await pool.close()
  }
})
