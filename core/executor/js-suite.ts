/**
 * Compliance suite for JavaScript functions in a JobExecutor (core/abi/js/): the same behaviours in Node
 * worker_threads and in browser Web Workers. Platform-neutral (no node:test, no node:assert), like
 * wasi-suite.ts. The fixture is the JS module below (its bytes are its source, shipped by hash like any
 * module); ABI v1 batch-mates use executor-suite's `double` fixture.
 */
import type { AbiLimits } from '../abi/abi.js'
import { sha256Hex } from '../abi/host.js'
import { encodeValue } from '../codec.js'
import { JobTimeoutError, JsFunctionError, JsValueError, ModuleRejectedError } from '../errors.js'
import type { Job, JobExecutor, JobOutcome } from '../jobs.js'
import type { TestRegistrar } from './executor-suite.js'
import { check, outcomeOf, same, values } from './suite-checks.js'

/** The suite's JS function module: one export per behaviour. */
export const JS_SUITE_SOURCE = `// edge-grid JS suite fixture
export default function (x) { return x }
export function parity (n) {
  if (n % 2 === 0) return [n, n / 2]
  emit(1, { odd: n })
}
export function many (n) { const out = []; for (let i = 0; i < n; i++) out.push(i * i); return out }
export function none () {}
export function fails (msg) { throw new RangeError('bad item: ' + msg) }
export function seen () { return [[typeof process, typeof fetch, typeof setTimeout, typeof require, typeof XMLHttpRequest, typeof WebAssembly, typeof importScripts, typeof postMessage]] }
export function host () {
  const p = globalThis.process
  return p.env
}
export function spin () { for (;;) {} }
export function bomb () { const keep = []; for (let i = 0; ; i++) keep.push({ i }) }
export function chance (x) { return [[Math.random(), Math.random(), Date.now(), new Date().toISOString(), Date.now()]] }
export function bytes () { return new Uint8Array(3) }
export const notAFunction = 42
`

/** A low memory cap (16 MiB) so the bomb hits it fast. */
export const JS_SUITE_LIMITS: AbiLimits = { maxMemoryPages: 256, maxOutputBytes: 1 << 20 }





function failure (outcomes: readonly JobOutcome[], id: number, name: string): string {
  const outcome = outcomeOf(outcomes, id)
  check(!outcome.ok, `job ${id}: expected ${name}, got outputs`)
  check(outcome.error.name === name, `job ${id}: expected ${name}, got ${outcome.error.name}: ${outcome.error.message}`)
  return outcome.error.message
}

/** `make` gets the limits the executor must apply (the memory-cap test needs a low one). */
export function jsExecutorSuite (t: TestRegistrar, make: (limits: AbiLimits) => Promise<JobExecutor>, fixtures: { readonly double: Uint8Array }): void {
  const source = new TextEncoder().encode(JS_SUITE_SOURCE)
  async function withExecutor (body: (ex: JobExecutor, js: string, double: string) => Promise<void>): Promise<void> {
    const ex = await make(JS_SUITE_LIMITS)
    try {
      const js = await sha256Hex(source)
      const double = await sha256Hex(fixtures.double)
      await ex.addModule(js, source)
      await ex.addModule(double, fixtures.double)
      await body(ex, js, double)
    } finally {
      await ex.close()
    }
  }
  const jsJob = (id: number, module: string, name: string, input: unknown, timeoutMs = 30_000): Job =>
    ({ id, fn: { module, export: name, js: true }, input: encodeValue(input), timeoutMs })
  const doubleJob = (id: number, module: string, n: number): Job => ({ id, fn: { module, export: 'double' }, input: encodeValue(n), timeoutMs: 30_000 })

  t.test('JS: returned values go to port 0 (an array: one output each), emit(port, value) to any port', async () => {
    await withExecutor(async (ex, js, double) => {
      const items: unknown[] = [{ a: [1, 'x', null] }, 'héllo', 2 ** 40, true, null]
      const jobs = [
        ...items.map((item, i) => jsJob(i, js, 'default', item)),
        jsJob(10, js, 'parity', 8), jsJob(11, js, 'parity', 7), jsJob(12, js, 'many', 4), jsJob(13, js, 'none', 0),
        doubleJob(99, double, 21)
      ]
      const out = await ex.run(jobs)
      items.forEach((item, i) => { same(values(out, i), [[0, item]], `echo of ${JSON.stringify(item)}`) })
      same(values(out, 10), [[0, 8], [0, 4]], 'parity(8)')
      same(values(out, 11), [[1, { odd: 7 }]], 'parity(7)')
      same(values(out, 12), [[0, 0], [0, 1], [0, 4], [0, 9]], 'many(4)')
      same(values(out, 13), [], 'none()')
      same(values(out, 99), [[0, 42]], 'the ABI v1 batch-mate')
    })
  })

  t.test('JS: an error thrown by the function is a failed job (JsFunctionError with its message); the next job runs', async () => {
    await withExecutor(async (ex, js) => {
      const out = await ex.run([jsJob(1, js, 'fails', 'x'), jsJob(2, js, 'parity', 2), jsJob(3, js, 'bytes', 0)])
      const message = failure(out, 1, JsFunctionError.name)
      check(message.startsWith('RangeError: bad item: x'), `message: ${message}`)
      same(values(out, 2), [[0, 2], [0, 1]], 'parity(2) after the failure')
      check(failure(out, 3, JsFunctionError.name).includes('typed array'), 'a typed array output is refused by name')
    })
  })

  t.test('JS: no host APIs inside (process, fetch, timers, require, WebAssembly, the worker\'s postMessage): touching process fails cleanly', async () => {
    await withExecutor(async (ex, js) => {
      const out = await ex.run([jsJob(1, js, 'host', 0), jsJob(2, js, 'default', 'still here'), jsJob(3, js, 'seen', 0)])
      same(values(out, 3), [[0, Array(8).fill('undefined')]], 'typeof process, fetch, setTimeout, require, XMLHttpRequest, WebAssembly, importScripts, postMessage')
      const message = failure(out, 1, JsFunctionError.name)
      check(message.startsWith('TypeError:') && message.includes("'env'"), `message: ${message}`)
      same(values(out, 2), [[0, 'still here']], 'the next job')
    })
  })

  t.test('JS: an infinite loop fails with JobTimeoutError; its batch-mates still complete', async () => {
    await withExecutor(async (ex, js, double) => {
      const out = await ex.run([jsJob(1, js, 'spin', 0, 500), jsJob(2, js, 'parity', 4), doubleJob(3, double, 5)])
      failure(out, 1, JobTimeoutError.name)
      same(values(out, 2), [[0, 4], [0, 2]], 'parity(4)')
      same(values(out, 3), [[0, 10]], 'double(5)')
    })
  })

  t.test('JS: a memory bomb stops at the memory cap (JsFunctionError "out of memory"); the function still works after', async () => {
    await withExecutor(async (ex, js) => {
      const out = await ex.run([jsJob(1, js, 'bomb', 0), jsJob(2, js, 'parity', 6)])
      const message = failure(out, 1, JsFunctionError.name)
      check(/out of memory/.test(message) && message.includes('16 MiB'), `message: ${message}`)
      same(values(out, 2), [[0, 6], [0, 3]], 'parity(6) after the bomb')
    })
  })

  t.test('JS: Math.random and Date are the same on every run of the same item, different for different items', async () => {
    const runOnce = async (): Promise<Array<Array<[number, unknown]>>> => {
      let result: Array<Array<[number, unknown]>> = []
      await withExecutor(async (ex, js) => {
        const out = await ex.run([jsJob(1, js, 'chance', 'a'), jsJob(2, js, 'chance', 'b'), jsJob(3, js, 'chance', 'a')])
        result = [values(out, 1), values(out, 2), values(out, 3)]
      })
      return result
    }
    const [first, second] = [await runOnce(), await runOnce()]
    same(second, first, 'a second executor')
    same(first[2], first[0], 'the same item twice in one context')
    const [r1, r2, t1, iso, t2] = (first[0][0][1] as unknown[])
    check(typeof r1 === 'number' && r1 >= 0 && r1 < 1 && r1 !== r2, `Math.random: ${String(r1)}, ${String(r2)}`)
    check(JSON.stringify(first[1]) !== JSON.stringify(first[0]), 'different items see different random numbers')
    same([t1, iso, t2], [946684800000, '2000-01-01T00:00:00.001Z', 946684800002], 'the fixed clock')
  })

  t.test('JS: a missing export, a non-function export, a byte-array item and a mismatched declaration fail with named errors', async () => {
    await withExecutor(async (ex, js, double) => {
      const out = await ex.run([
        jsJob(1, js, 'nope', 0), jsJob(2, js, 'notAFunction', 0),
        { id: 3, fn: { module: js, export: 'default', js: true }, input: encodeValue(new Uint8Array([1, 2])), timeoutMs: 30_000 },
        { id: 4, fn: { module: js, export: 'default' }, input: encodeValue(1), timeoutMs: 30_000 },
        jsJob(5, double, 'double', 1)
      ])
      check(failure(out, 1, ModuleRejectedError.name).includes('exports no function "nope"'), 'missing export named')
      failure(out, 2, ModuleRejectedError.name)
      check(failure(out, 3, JsValueError.name).includes('byte array'), 'byte array named')
      check(failure(out, 4, ModuleRejectedError.name).includes('declare it with "js"'), 'JS module called as WebAssembly')
      check(failure(out, 5, ModuleRejectedError.name).includes('declared "js"'), 'WebAssembly module called as JS')
    })
  })
}
