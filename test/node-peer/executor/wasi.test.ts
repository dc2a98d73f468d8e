/** The WASI compliance suite (core/executor/wasi-suite.ts) on ThreadPool: WASI commands in worker_threads. */
import { describe, it } from 'node:test'
import { ThreadPool } from '../../../node-peer/executor/pool.js'
import { wasiExecutorSuite } from '../../../core/executor/wasi-suite.js'
import { buildWasiFixture, loadExecutorFixtures } from '../../fixtures/executor/fixtures.js'

const { double } = await loadExecutorFixtures()
const wasi = await buildWasiFixture()

describe('ThreadPool: WASI commands', () => {
  wasiExecutorSuite({ test: it }, async limits => new ThreadPool({ threads: 2, limits }), { wasi, double })
})
