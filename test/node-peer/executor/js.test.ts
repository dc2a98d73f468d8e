/** The JavaScript function suite (core/executor/js-suite.ts) on ThreadPool: QuickJS in worker_threads. */
import { describe, it } from 'node:test'
import { ThreadPool } from '../../../node-peer/executor/pool.js'
import { jsExecutorSuite } from '../../../core/executor/js-suite.js'
import { loadExecutorFixtures } from '../../fixtures/executor/fixtures.js'

const { double } = await loadExecutorFixtures()

describe('ThreadPool: JavaScript functions', () => {
  jsExecutorSuite({ test: it }, async limits => new ThreadPool({ threads: 2, limits }), { double })
})
