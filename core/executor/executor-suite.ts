/**
 * Compliance suite for JobExecutor implementations: the behaviours every executor (worker_threads in Node,
 * Web Workers in the browser) must show, written once and registered with whatever test runner the platform
 * has. Platform-neutral on purpose: no node:test, no node:assert.
 *
 * Usage (Node): `executorSuite({ test: it }, async () => new ThreadPool({ threads: 2 }), await loadExecutorFixtures())`.
 */
import type { Job, JobExecutor, JobOutcome } from '../jobs.js'
import { decodeValue, encodeValue } from '../codec.js'
import { sha256Hex } from '../abi/host.js'
import { ExecutorClosedError, JobRecalledError, JobTimeoutError, ModuleRejectedError, UnknownModuleError, WasmTrapError } from '../errors.js'
import { plural } from '../util/plural.js'
import { check, same } from './suite-checks.js'

/** ABI v1 modules the suite runs (test/fixtures/executor/*.wat). */
export interface ExecutorFixtures {
  /** `double(n)` emits 2n on port 0; `emit_n(n)` emits 0..n-1, value i on port i % 2. */
  readonly double: Uint8Array
  /** `trap` hits unreachable; `fail` calls grid.fail("bad input: refused"); `echo` emits its input. */
  readonly trap: Uint8Array
  /** `spin` never returns. */
  readonly spin: Uint8Array
  /** Imports a function ABI v1 does not provide. */
  readonly forbidden: Uint8Array
}

export interface TestRegistrar {
  test: (name: string, fn: () => Promise<void>) => unknown
}

export { SuiteAssertionError } from './suite-checks.js'

/** Outcomes by job id, checking there is exactly one per job. */
function byId (jobs: readonly Job[], outcomes: readonly JobOutcome[]): Map<number, JobOutcome> {
  check(outcomes.length === jobs.length, `expected ${jobs.length} outcomes, got ${outcomes.length}`)
  const map = new Map<number, JobOutcome>()
  for (const outcome of outcomes) {
    check(!map.has(outcome.id), `two outcomes for job ${outcome.id}`)
    map.set(outcome.id, outcome)
  }
  for (const job of jobs) check(map.has(job.id), `no outcome for job ${job.id}`)
  return map
}

function values (outcome: JobOutcome | undefined, what: string): Array<[number, unknown]> {
  check(outcome != null, `${what}: no outcome`)
  check(outcome.ok, `${what}: failed: ${outcome.ok ? '' : `${outcome.error.name}: ${outcome.error.message}`}`)
  return outcome.outputs.map(o => [o.port, decodeValue(o.bytes)])
}

function failure (outcome: JobOutcome | undefined, what: string): { name: string, message: string } {
  check(outcome != null, `${what}: no outcome`)
  check(!outcome.ok, `${what}: expected a failure, got outputs`)
  return outcome.error
}

async function settle<T> (promise: Promise<T>): Promise<{ ok: true, value: T } | { ok: false, error: Error }> {
  try {
    return { ok: true, value: await promise }
  } catch (err) {
    return { ok: false, error: err as Error }
  }
}

const DEFAULT_TIMEOUT_MS = 30_000
/** Numbers that cover each msgpack unsigned encoding the double fixture reads (fixint, uint8, 16, 32). */
const SAMPLES = [0, 1, 63, 64, 127, 128, 200, 255, 256, 1000, 65535, 65536, 70000, 1_000_000, 2 ** 30]

export function executorSuite (t: TestRegistrar, make: () => Promise<JobExecutor>, fixtures: ExecutorFixtures): void {
  /** Runs `body` with a fresh executor that has every fixture module; closes it afterwards. */
  async function withExecutor (body: (ex: JobExecutor, hashes: Record<'double' | 'trap' | 'spin', string>) => Promise<void>): Promise<void> {
    const ex = await make()
    try {
      const hashes = {
        double: await sha256Hex(fixtures.double),
        trap: await sha256Hex(fixtures.trap),
        spin: await sha256Hex(fixtures.spin)
      }
      for (const name of ['double', 'trap', 'spin'] as const) await ex.addModule(hashes[name], fixtures[name])
      await body(ex, hashes)
    } finally {
      await ex.close()
    }
  }
  const job = (id: number, module: string, name: string, input: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Job =>
    ({ id, fn: { module, export: name }, input: encodeValue(input), timeoutMs })

  t.test('results match inputs (double)', async () => {
    await withExecutor(async (ex, h) => {
      const jobs = SAMPLES.map((n, i) => job(100 + i, h.double, 'double', n))
      const out = byId(jobs, await ex.run(jobs))
      SAMPLES.forEach((n, i) => same(values(out.get(100 + i), `double(${n})`), [[0, 2 * n]], `double(${n})`))
    })
  })

  t.test('an empty batch has no outcomes', async () => {
    await withExecutor(async ex => { same(await ex.run([]), [], 'outcomes') })
  })

  t.test('zero, one and many outputs, on several ports', async () => {
    await withExecutor(async (ex, h) => {
      const counts = [0, 1, 5, 300]
      const jobs = counts.map((n, i) => job(i, h.double, 'emit_n', n))
      const out = byId(jobs, await ex.run(jobs))
      counts.forEach((n, i) => {
        const expected = Array.from({ length: n }, (_, k) => [k % 2, k])
        same(values(out.get(i), `emit_n(${n})`), expected, `emit_n(${n})`)
      })
    })
  })

  t.test('a trap fails only its job with WasmTrapError; the executor keeps working', async () => {
    await withExecutor(async (ex, h) => {
      const jobs = [
        job(1, h.trap, 'echo', 'a'), job(2, h.trap, 'trap', 'b'), job(3, h.trap, 'echo', 'c'),
        job(4, h.trap, 'fail', 'd'), job(5, h.trap, 'echo', 'e'), job(6, h.double, 'double', 21)
      ]
      const out = byId(jobs, await ex.run(jobs))
      // `trap` and `fail` poison the instance's state: correct echoes prove a fresh instance was made.
      same(values(out.get(1), 'echo a'), [[0, 'a']], 'echo a')
      same(values(out.get(3), 'echo c'), [[0, 'c']], 'echo c')
      same(values(out.get(5), 'echo e'), [[0, 'e']], 'echo e')
      same(values(out.get(6), 'double 21'), [[0, 42]], 'double 21')
      const trap = failure(out.get(2), 'trap')
      check(trap.name === WasmTrapError.name, `trap: name ${trap.name}`)
      check(/unreachable/i.test(trap.message), `trap: message from the host, got "${trap.message}"`)
      const fail = failure(out.get(4), 'fail')
      check(fail.name === WasmTrapError.name, `fail: name ${fail.name}`)
      check(fail.message.includes('bad input: refused'), `fail: guest message kept, got "${fail.message}"`)
      const again = [job(7, h.trap, 'echo', 'f')]
      same(values(byId(again, await ex.run(again)).get(7), 'echo f'), [[0, 'f']], 'echo after traps')
    })
  })

  t.test('a job over its timeout fails with JobTimeoutError; batch-mates get correct results', async () => {
    await withExecutor(async (ex, h) => {
      const jobs = [
        job(1, h.double, 'double', 1), job(2, h.double, 'double', 2), job(3, h.double, 'double', 3),
        job(4, h.spin, 'spin', 0, 300),
        job(5, h.double, 'double', 5), job(6, h.double, 'double', 6)
      ]
      const started = Date.now()
      const out = byId(jobs, await ex.run(jobs))
      const elapsed = Date.now() - started
      const timeout = failure(out.get(4), 'spin')
      check(timeout.name === JobTimeoutError.name, `spin: name ${timeout.name} (${timeout.message})`)
      same(timeout.message, 'exceeded 300 ms', 'timeout message')
      check(elapsed >= 300 && elapsed < 5000, `timeout took ${elapsed} ms`)
      for (const n of [1, 2, 3, 5, 6]) same(values(out.get(n), `double(${n})`), [[0, 2 * n]], `double(${n})`)
      // Every thread still works (the stopped one was replaced, with its modules).
      const batches = Array.from({ length: ex.slots * 2 }, (_, b) => Array.from({ length: 20 }, (_, i) => job(b * 100 + i, h.double, 'double', b * 100 + i)))
      const results = await Promise.all(batches.map(async batch => await ex.run(batch)))
      batches.forEach((batch, b) => {
        const map = byId(batch, results[b])
        for (const j of batch) same(values(map.get(j.id), `after timeout ${j.id}`), [[0, 2 * j.id]], `after timeout ${j.id}`)
      })
    })
  })

  t.test('a job naming an unknown module fails, naming the hash', async () => {
    await withExecutor(async (ex, h) => {
      const unknown = 'ab'.repeat(32)
      const jobs = [job(1, unknown, 'double', 1), job(2, h.double, 'double', 2)]
      const out = byId(jobs, await ex.run(jobs))
      const err = failure(out.get(1), 'unknown module')
      check(err.name === UnknownModuleError.name, `name ${err.name}`)
      check(err.message.includes(unknown), `message names the hash: "${err.message}"`)
      same(values(out.get(2), 'double 2'), [[0, 4]], 'batch-mate')
    })
  })

  t.test('a job naming a missing export fails with ModuleRejectedError', async () => {
    await withExecutor(async (ex, h) => {
      const jobs = [job(1, h.double, 'no_such_export', 1), job(2, h.double, 'double', 2)]
      const out = byId(jobs, await ex.run(jobs))
      const err = failure(out.get(1), 'missing export')
      check(err.name === ModuleRejectedError.name && err.message.includes('no_such_export'), `${err.name}: ${err.message}`)
      same(values(out.get(2), 'double 2'), [[0, 4]], 'batch-mate')
    })
  })

  t.test('addModule rejects a module with a forbidden import, and bytes that do not match the hash', async () => {
    await withExecutor(async (ex, h) => {
      const hash = await sha256Hex(fixtures.forbidden)
      const bad = await settle(ex.addModule(hash, fixtures.forbidden))
      check(!bad.ok && bad.error.name === ModuleRejectedError.name, `forbidden import: ${bad.ok ? 'accepted' : bad.error.name}`)
      check(!bad.ok && bad.error.message.includes('wasi_snapshot_preview1.fd_write'), `names the import: ${bad.ok ? '' : bad.error.message}`)
      check(!ex.hasModule(hash), 'a rejected module is not known')
      const wrong = 'cd'.repeat(32)
      const mismatch = await settle(ex.addModule(wrong, fixtures.double))
      check(!mismatch.ok && mismatch.error.name === ModuleRejectedError.name, `hash mismatch: ${mismatch.ok ? 'accepted' : mismatch.error.name}`)
      check(!ex.hasModule(wrong), 'a mismatched module is not known')
      check(ex.hasModule(h.double), 'good modules stay known')
    })
  })

  t.test('a batch of 10,000 jobs gets exactly 10,000 outcomes with the right ids', async () => {
    await withExecutor(async (ex, h) => {
      const jobs = Array.from({ length: 10_000 }, (_, i) => job(50_000 + i, h.double, 'double', i * 7))
      const out = byId(jobs, await ex.run(jobs))
      for (let i = 0; i < jobs.length; i++) {
        const outcome = out.get(50_000 + i)
        check(outcome?.ok === true && outcome.outputs.length === 1, `job ${50_000 + i}`)
        check(decodeValue(outcome.outputs[0].bytes) === i * 14, `job ${50_000 + i} value`)
      }
    })
  })

  t.test('concurrent batches run on all threads at once', async () => {
    await withExecutor(async (ex, h) => {
      if (ex.slots < 2) return
      // All threads but one spin (60 s before their timeout stops them): a last batch still finishes, long
      // before any spin ends, only if each batch has a thread of its own. An ordering check, not a timing one.
      const spinning = Array.from({ length: ex.slots - 1 }, (_, b) => settle(ex.run([job(b, h.spin, 'spin', 0, 60_000)])))
      const spinEnded = Promise.race(spinning).then(() => 'a spin ended first' as const)
      const last = ex.run([job(99, h.double, 'double', 21)]).then(outcomes => outcomes)
      const first = await Promise.race([last, spinEnded])
      check(first !== 'a spin ended first', `with ${plural(ex.slots - 1, 'thread')} spinning, the batch for the last thread waited for them: not run in parallel`)
      check(JSON.stringify(values(byId([job(99, h.double, 'double', 21)], first).get(99), 'double')) === '[[0,42]]', 'last batch result')
    })
  })

  t.test('recall: recalled jobs, running or queued, fail with JobRecalledError at once; their threads are freed', async () => {
    await withExecutor(async (ex, h) => {
      check(ex.recall != null, 'this executor cannot recall jobs')
      // every thread spins on a job to recall (2 min before its timeout), one more batch waits in the queue;
      // each batch also holds a job not recalled, queued behind its spin: it runs only if the spin is stopped
      const batches = Array.from({ length: ex.slots + 1 }, (_, b) => [job(b, h.spin, 'spin', 0, 120_000), job(100 + b, h.double, 'double', b)])
      const running = batches.map(async batch => await ex.run(batch))
      await new Promise(resolve => setTimeout(resolve, 100))
      ex.recall!(id => id < 100)
      let timer: ReturnType<typeof setTimeout> | undefined
      const stuck = new Promise<'stuck'>(resolve => { timer = setTimeout(() => resolve('stuck'), 60_000) })
      const outs = await Promise.race([Promise.all(running), stuck]).finally(() => clearTimeout(timer))
      check(outs !== 'stuck', 'the jobs not recalled did not run within 60 s: the spinning threads were not stopped')
      batches.forEach((batch, b) => {
        const out = byId(batch, outs[b])
        const recalled = failure(out.get(b), `spin ${b}`)
        check(recalled.name === JobRecalledError.name, `spin ${b}: ${recalled.name} (${recalled.message})`)
        same(values(out.get(100 + b), `double(${b})`), [[0, 2 * b]], `double(${b})`)
      })
      // the executor takes new work on every thread
      const again = Array.from({ length: ex.slots }, (_, b) => [job(200 + b, h.double, 'double', 200 + b)])
      const results = await Promise.all(again.map(async batch => await ex.run(batch)))
      again.forEach((batch, b) => { same(values(byId(batch, results[b]).get(200 + b), 'after recall'), [[0, 400 + 2 * b]], 'after recall') })
    })
  })

  t.test('close() rejects pending batches, and later calls', async () => {
    const ex = await make()
    const spin = await sha256Hex(fixtures.spin)
    await ex.addModule(spin, fixtures.spin)
    const pending = Array.from({ length: ex.slots + 1 }, (_, b) => settle(ex.run([job(b, spin, 'spin', 0, 60_000)])))
    await new Promise(resolve => setTimeout(resolve, 50))
    await ex.close()
    for (const result of await Promise.all(pending)) {
      check(!result.ok && result.error.name === ExecutorClosedError.name, `pending batch: ${result.ok ? 'resolved' : result.error.name}`)
    }
    const later = await settle(ex.run([job(9, spin, 'spin', 0)]))
    check(!later.ok && later.error.name === ExecutorClosedError.name, `run after close: ${later.ok ? 'resolved' : later.error.name}`)
  })
}
