import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ThreadPool } from '../../../node-peer/executor/pool.js'
import { executorSuite } from '../../../core/executor/executor-suite.js'
import { sha256Hex } from '../../../core/abi/host.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import type { Job } from '../../../core/jobs.js'
import { assembleWat, loadExecutorFixtures, withFixturePool } from '../../fixtures/executor/fixtures.js'

const fixtures = await loadExecutorFixtures()
const job = (id: number, module: string, name: string, input: unknown, timeoutMs = 30_000): Job =>
  ({ id, fn: { module, export: name }, input: encodeValue(input), timeoutMs })

describe('ThreadPool: executor compliance suite', () => {
  executorSuite({ test: it }, async () => new ThreadPool({ threads: 2 }), fixtures)
})

describe('ThreadPool (Node specifics)', () => {
  it('replaces a thread stopped for a timeout, and the replacement has every module', async () => {
    await withFixturePool({ double: fixtures.double, spin: fixtures.spin }, async (pool, { double, spin }) => {
      assert.equal(pool.stats.threadsStarted, 2)
      const [timedOut] = await pool.run([job(1, spin, 'spin', 0, 100)])
      assert.equal(timedOut.ok, false)
      assert.equal(pool.stats.threadsStarted, 3)
      assert.equal(pool.stats.timeouts, 1)
      // Both threads busy at once: one of them is the replacement, which must know both modules.
      const batches = [0, 1].map(b => [job(b, double, 'double', 10 + b), job(10 + b, spin, 'spin', 0, 150)])
      const results = await Promise.all(batches.map(async batch => await pool.run(batch)))
      for (const [b, outcomes] of results.entries()) {
        const ok = outcomes.find(o => o.id === b)
        assert.ok(ok?.ok === true)
        assert.equal(decodeValue(ok.outputs[0].bytes), 2 * (10 + b))
        const spun = outcomes.find(o => o.id === 10 + b)
        assert.deepEqual(spun?.ok === false && spun.error, { name: 'JobTimeoutError', message: 'exceeded 150 ms' })
      }
      assert.equal(pool.stats.threadsStarted, 5)
    }, { threads: 2 })
  })

  it('modules added after a replacement reach every thread', async () => {
    const pool = new ThreadPool({ threads: 2 })
    try {
      const spin = await sha256Hex(fixtures.spin)
      await pool.addModule(spin, fixtures.spin)
      await pool.run([job(1, spin, 'spin', 0, 50)])
      const trap = await sha256Hex(fixtures.trap)
      await pool.addModule(trap, fixtures.trap)
      const batches = [0, 1].map(b => [job(b, trap, 'echo', `t${b}`), job(10 + b, spin, 'spin', 0, 100)])
      const results = await Promise.all(batches.map(async batch => await pool.run(batch)))
      for (const [b, outcomes] of results.entries()) {
        const echo = outcomes.find(o => o.id === b)
        assert.ok(echo?.ok === true, JSON.stringify(echo))
        assert.equal(decodeValue(echo.outputs[0].bytes), `t${b}`)
      }
    } finally {
      await pool.close()
    }
  })

  it('a thread that dies (heap exhausted) fails only the job it ran; batch-mates run again elsewhere', async () => {
    const pool = new ThreadPool({
      threads: 2,
      limits: { maxMemoryPages: 16, maxOutputBytes: 2 ** 31 },
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 }
    })
    try {
      const grow = await assembleWat('grow.wat')
      const growHash = await sha256Hex(grow)
      const double = await sha256Hex(fixtures.double)
      await pool.addModule(growHash, grow)
      await pool.addModule(double, fixtures.double)
      const jobs = [job(1, double, 'double', 1), job(2, growHash, 'emit_tiny', 2 ** 31 - 1), job(3, double, 'double', 3)]
      const outcomes = await pool.run(jobs)
      assert.equal(outcomes.length, 3)
      const crashed = outcomes.find(o => o.id === 2)
      assert.ok(crashed?.ok === false)
      assert.equal(crashed.error.name, 'SandboxCrashedError')
      assert.match(crashed.error.message, /memory/i)
      for (const id of [1, 3]) {
        const o = outcomes.find(x => x.id === id)
        assert.ok(o?.ok === true)
        assert.equal(decodeValue(o.outputs[0].bytes), 2 * id)
      }
      assert.equal(pool.stats.crashes, 1)
      assert.equal(pool.stats.threadsStarted, 3)
      const again = await pool.run([job(4, double, 'double', 4)])
      assert.ok(again[0].ok)
    } finally {
      await pool.close()
    }
  })

  it('waits for a module still being added instead of calling it unknown', async () => {
    const pool = new ThreadPool({ threads: 1 })
    try {
      const double = await sha256Hex(fixtures.double)
      const adding = pool.addModule(double, fixtures.double)
      const outcomes = await pool.run([job(1, double, 'double', 8)])
      await adding
      assert.ok(outcomes[0].ok)
      assert.equal(decodeValue(outcomes[0].outputs[0].bytes), 16)
    } finally {
      await pool.close()
    }
  })
})
