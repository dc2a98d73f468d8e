/**
 * Compliance suite for WASI commands in a JobExecutor (core/abi/wasi/): the same behaviours in Node
 * worker_threads and in browser Web Workers. Platform-neutral (no node:test, no node:assert), like
 * executor-suite.ts, whose fixtures it reuses for the ABI v1 batch-mates.
 *
 * The fixture is test/fixtures/executor/wasi.c built with `clang --target=wasm32-wasi -O2`: a JSON string on
 * stdin names a behaviour ("loop", "trap", "exit", "open", "rand", "bomb"), anything else is echoed on
 * stdout (port 0) with `{"bytes": n}` on fd 3 (port 1).
 */
import type { AbiLimits } from '../abi/abi.js'
import { sha256Hex } from '../abi/host.js'
import { encodeValue } from '../codec.js'
import { JobTimeoutError, ModuleRejectedError, WasiExitError, WasmTrapError } from '../errors.js'
import type { Job, JobExecutor, JobOutcome } from '../jobs.js'
import type { TestRegistrar } from './executor-suite.js'
import { check, outcomeOf, same, values } from './suite-checks.js'

export interface WasiSuiteFixtures {
  /** The WASI command described above. */
  readonly wasi: Uint8Array
  /** An ABI v1 module exporting `double` (executor-suite's `double` fixture). */
  readonly double: Uint8Array
}





function failure (outcomes: readonly JobOutcome[], id: number): { name: string, message: string } {
  const outcome = outcomeOf(outcomes, id)
  check(!outcome.ok, `job ${id}: expected a failure, got outputs`)
  return outcome.error
}

/** A memory cap low enough that the bomb hits it fast (4 MiB). */
export const WASI_SUITE_LIMITS: AbiLimits = { maxMemoryPages: 64, maxOutputBytes: 1 << 20 }

/** `make` gets the limits the executor must apply (the memory-cap test needs a low one). */
export function wasiExecutorSuite (t: TestRegistrar, make: (limits: AbiLimits) => Promise<JobExecutor>, fixtures: WasiSuiteFixtures): void {
  async function withExecutor (body: (ex: JobExecutor, wasi: string, double: string) => Promise<void>): Promise<void> {
    const ex = await make(WASI_SUITE_LIMITS)
    try {
      const wasi = await sha256Hex(fixtures.wasi)
      const double = await sha256Hex(fixtures.double)
      await ex.addModule(wasi, fixtures.wasi)
      await ex.addModule(double, fixtures.double)
      await body(ex, wasi, double)
    } finally {
      await ex.close()
    }
  }
  const wasiJob = (id: number, module: string, input: unknown, timeoutMs = 30_000): Job =>
    ({ id, fn: { module, export: '_start', wasi: 'json' }, input: encodeValue(input), timeoutMs })
  const doubleJob = (id: number, module: string, n: number): Job => ({ id, fn: { module, export: 'double' }, input: encodeValue(n), timeoutMs: 30_000 })

  t.test('WASI: the item arrives on stdin, outputs come from stdout (port 0) and fd 3 (port 1)', async () => {
    await withExecutor(async (ex, wasi, double) => {
      const items: unknown[] = [{ a: 1 }, [1, 'x', null], 'héllo', 2 ** 40, true]
      const jobs = [...items.map((item, i) => wasiJob(i, wasi, item)), doubleJob(99, double, 21)]
      const out = await ex.run(jobs)
      items.forEach((item, i) => {
        const line = JSON.stringify(item)
        same(values(out, i), [[0, item], [1, { bytes: new TextEncoder().encode(line).length + 1 }]], `echo ${line}`)
      })
      same(values(out, 99), [[0, 42]], 'ABI v1 batch-mate')
    })
  })

  t.test('WASI: opening a file gets EBADF (no preopened directories) and the job goes on', async () => {
    await withExecutor(async (ex, wasi) => {
      const out = await ex.run([wasiJob(1, wasi, 'open')])
      // 8 = EBADF from path_open; 76 = ENOTCAPABLE, libc's errno when no preopen covers the path
      same(values(out, 1), [[0, { fopen: false, fopen_errno: 76, path_open: 8, open_for_write: -1 }]], 'open')
    })
  })

  t.test('WASI: a non-zero exit fails the job with WasiExitError (code and stderr), a trap with WasmTrapError; batch-mates run', async () => {
    await withExecutor(async (ex, wasi, double) => {
      const out = await ex.run([wasiJob(1, wasi, 'exit'), wasiJob(2, wasi, 'x'), wasiJob(3, wasi, 'trap'), doubleJob(4, double, 2)])
      const exit = failure(out, 1)
      check(exit.name === WasiExitError.name, `exit: ${exit.name}: ${exit.message}`)
      check(exit.message.includes('code 3') && exit.message.includes('refusing this item on purpose'), `exit message: ${exit.message}`)
      const trap = failure(out, 3)
      check(trap.name === WasmTrapError.name && /unreachable/.test(trap.message), `trap: ${trap.name}: ${trap.message}`)
      same(values(out, 2), [[0, 'x'], [1, { bytes: 4 }]], 'echo between failures')
      same(values(out, 4), [[0, 4]], 'ABI v1 batch-mate')
    })
  })

  t.test('WASI: a command that never ends fails with JobTimeoutError; the executor goes on', async () => {
    await withExecutor(async (ex, wasi) => {
      const out = await ex.run([wasiJob(1, wasi, 'a'), wasiJob(2, wasi, 'loop', 300), wasiJob(3, wasi, 'b')])
      const timeout = failure(out, 2)
      check(timeout.name === JobTimeoutError.name, `loop: ${timeout.name}: ${timeout.message}`)
      same(values(out, 1), [[0, 'a'], [1, { bytes: 4 }]], 'before')
      same(values(out, 3), [[0, 'b'], [1, { bytes: 4 }]], 'after')
    })
  })

  t.test('WASI: the memory cap holds (malloc returns NULL at 4 MiB)', async () => {
    await withExecutor(async (ex, wasi) => {
      const out = await ex.run([wasiJob(1, wasi, 'bomb')])
      const [[port, result]] = values(out, 1) as Array<[number, { allocated_mib: number }]>
      check(port === 0 && result.allocated_mib >= 1 && result.allocated_mib < 4, `allocated ${JSON.stringify(result)} under a 4 MiB cap`)
    })
  })

  t.test('WASI: clock and random are deterministic (same outputs on every run and every executor)', async () => {
    await withExecutor(async (ex, wasi) => {
      const first = values(await ex.run([wasiJob(1, wasi, 'rand')]), 1)
      const second = values(await ex.run([wasiJob(2, wasi, 'rand'), wasiJob(3, wasi, 'rand')]), 3)
      same(second, first, 'second run')
      // fixed values: any executor on any platform must give exactly these (replicas compare outputs)
      same(first, [[0, { realtime: 946684800, monotonic: 2000, rand: 0, bytes: [21, 39, 187, 212, 54, 127, 62, 124] }]], 'rand')
    })
  })

  t.test('WASI: a function declared with the wrong ABI fails with ModuleRejectedError saying which to use', async () => {
    await withExecutor(async (ex, wasi, double) => {
      const out = await ex.run([
        { id: 1, fn: { module: wasi, export: '_start' }, input: encodeValue(1), timeoutMs: 30_000 },
        { id: 2, fn: { module: double, export: 'double', wasi: 'json' }, input: encodeValue(1), timeoutMs: 30_000 }
      ])
      const asV1 = failure(out, 1)
      check(asV1.name === ModuleRejectedError.name && asV1.message.includes('"abi": "wasi"'), `WASI as v1: ${asV1.message}`)
      const asWasi = failure(out, 2)
      check(asWasi.name === ModuleRejectedError.name && asWasi.message.includes('drop "abi"'), `v1 as WASI: ${asWasi.message}`)
    })
  })
}
