/**
 * A test page (built next to the real one, never linked from it): runs the executor compliance suite
 * (core/executor/executor-suite.ts, then the WASI and JavaScript suites) against WebWorkerPool inside the browser, and times CPU-bound jobs for the
 * Node-vs-browser comparison. Fixtures come from the test in Node (built with wabt there), as base64.
 */
import { sha256Hex } from '../../../core/abi/host.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import type { Job } from '../../../core/jobs.js'
import { executorSuite } from '../../../core/executor/executor-suite.js'
import type { ExecutorFixtures } from '../../../core/executor/executor-suite.js'
import { wasiExecutorSuite } from '../../../core/executor/wasi-suite.js'
import { jsExecutorSuite } from '../../../core/executor/js-suite.js'
import { WebWorkerPool } from '../executor/pool.js'

export interface SuiteResult {
  readonly name: string
  readonly ok: boolean
  readonly ms: number
  readonly error?: string
}

export interface BenchRequest {
  readonly wasm: string
  readonly export: string
  readonly inputs: readonly unknown[]
  readonly threads: number
  /** jobs per batch handed to the pool */
  readonly batch: number
}

export interface BenchResult {
  readonly ms: number
  readonly jobs: number
  readonly failed: number
  /** every output value, in job order */
  readonly outputs: unknown[]
  readonly sharedMemory: boolean
}

export interface ExecutorSuiteHandle {
  /** `wasi` (optional): the WASI suite's command; its tests run after the ABI v1 suite's. */
  run: (fixtures: Record<keyof ExecutorFixtures, string> & { wasi?: string }, threads: number) => Promise<SuiteResult[]>
  bench: (request: BenchRequest) => Promise<BenchResult>
  /** building blocks for pool-specific checks scripted by the tests */
  lib: { WebWorkerPool: typeof WebWorkerPool, sha256Hex: typeof sha256Hex, encodeValue: typeof encodeValue, decodeValue: typeof decodeValue, fromBase64: typeof fromBase64 }
  crossOriginIsolated: boolean
  hardwareConcurrency: number
}

declare global {
  interface Window { __executorSuite?: ExecutorSuiteHandle }
}

function fromBase64 (text: string): Uint8Array {
  const raw = atob(text)
  const bytes = new Uint8Array(raw.length)
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i)
  return bytes
}

async function run (encoded: Record<keyof ExecutorFixtures, string> & { wasi?: string }, threads: number): Promise<SuiteResult[]> {
  const fixtures: ExecutorFixtures = {
    double: fromBase64(encoded.double),
    trap: fromBase64(encoded.trap),
    spin: fromBase64(encoded.spin),
    forbidden: fromBase64(encoded.forbidden)
  }
  const tests: Array<{ name: string, fn: () => Promise<void> }> = []
  executorSuite({ test: (name, fn) => { tests.push({ name, fn }) } }, async () => new WebWorkerPool({ threads }), fixtures)
  if (encoded.wasi !== undefined) {
    wasiExecutorSuite({ test: (name, fn) => { tests.push({ name, fn }) } }, async limits => new WebWorkerPool({ threads, limits }), { wasi: fromBase64(encoded.wasi), double: fixtures.double })
  }
  // JavaScript functions (QuickJS in the Web Workers): the fixture is part of the suite
  jsExecutorSuite({ test: (name, fn) => { tests.push({ name, fn }) } }, async limits => new WebWorkerPool({ threads, limits }), { double: fixtures.double })
  const results: SuiteResult[] = []
  for (const { name, fn } of tests) {
    const started = performance.now()
    try {
      await fn()
      results.push({ name, ok: true, ms: performance.now() - started })
    } catch (err) {
      results.push({ name, ok: false, ms: performance.now() - started, error: `${(err as Error).name}: ${(err as Error).message}` })
    }
  }
  return results
}

async function bench (request: BenchRequest): Promise<BenchResult> {
  const bytes = fromBase64(request.wasm)
  const hash = await sha256Hex(bytes)
  const pool = new WebWorkerPool({ threads: request.threads })
  try {
    await pool.addModule(hash, bytes)
    const jobs: Job[] = request.inputs.map((input, id) => ({ id, fn: { module: hash, export: request.export }, input: encodeValue(input), timeoutMs: 120_000 }))
    const batches: Job[][] = []
    for (let i = 0; i < jobs.length; i += request.batch) batches.push(jobs.slice(i, i + request.batch))
    // one untimed round first: workers started and instantiated, JIT warm (the Node side does the same)
    await Promise.all(batches.map(async b => await pool.run(b)))
    const started = performance.now()
    const outcomes = (await Promise.all(batches.map(async b => await pool.run(b)))).flat()
    const ms = performance.now() - started
    outcomes.sort((a, b) => a.id - b.id)
    const outputs: unknown[] = []
    let failed = 0
    for (const o of outcomes) {
      if (o.ok) for (const out of o.outputs) outputs.push(decodeValue(out.bytes))
      else failed++
    }
    return { ms, jobs: jobs.length, failed, outputs, sharedMemory: pool.stats.sharedMemory }
  } finally {
    await pool.close()
  }
}

window.__executorSuite = { run, bench, lib: { WebWorkerPool, sha256Hex, encodeValue, decodeValue, fromBase64 }, crossOriginIsolated: globalThis.crossOriginIsolated === true, hardwareConcurrency: navigator.hardwareConcurrency }
