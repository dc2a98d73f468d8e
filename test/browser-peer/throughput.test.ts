/**
 * One tab's Web Worker pool against the Node ThreadPool with the same thread count, on the same jobs: the
 * CPU-bound primes `count` (64 jobs of 312,500 numbers) and the tiny Collatz `step` (20,000 jobs). The outputs
 * must be identical; the speeds (second of two rounds, so both pools are warm) are reported (test diagnostics), not asserted: speed belongs to the bench.
 */
import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256Hex } from '../../core/abi/host.js'
import { decodeValue, encodeValue } from '../../core/codec.js'
import type { Job } from '../../core/jobs.js'
import { ThreadPool } from '../../node-peer/executor/pool.js'
import { startPageServer } from '../../node-peer/http/page-server.js'
import { repoRoot } from '../helpers/cli.js'
import { withBrowser } from '../helpers/browser.js'
import './page-types.js'

const THREADS = 2

interface Workload {
  readonly name: string
  readonly wasm: string
  readonly export: string
  readonly inputs: number[]
  readonly batch: number
}

const workloads: Workload[] = [
  { name: 'primes count (CPU-bound, 64 jobs)', wasm: 'examples/primes/build/primes.wasm', export: 'count', inputs: Array.from({ length: 64 }, (_, i) => i * 312_500), batch: 1 },
  { name: 'collatz step (tiny, 20,000 jobs)', wasm: 'examples/collatz/build/collatz.wasm', export: 'step', inputs: Array.from({ length: 20_000 }, (_, i) => i + 2), batch: 256 }
]

interface Timed { ms: number, outputs: unknown[] }

async function inNode (w: Workload, bytes: Uint8Array): Promise<Timed> {
  const pool = new ThreadPool({ threads: THREADS })
  try {
    const hash = await sha256Hex(bytes)
    await pool.addModule(hash, bytes)
    const jobs: Job[] = w.inputs.map((input, id) => ({ id, fn: { module: hash, export: w.export }, input: encodeValue(input), timeoutMs: 120_000 }))
    const batches: Job[][] = []
    for (let i = 0; i < jobs.length; i += w.batch) batches.push(jobs.slice(i, i + w.batch))
    await Promise.all(batches.map(async b => await pool.run(b))) // untimed warm-up round, as in the page
    const started = performance.now()
    const outcomes = (await Promise.all(batches.map(async b => await pool.run(b)))).flat()
    const ms = performance.now() - started
    outcomes.sort((a, b) => a.id - b.id)
    const outputs: unknown[] = []
    for (const o of outcomes) {
      assert.ok(o.ok, `job ${o.id} failed in Node`)
      for (const out of o.outputs) outputs.push(decodeValue(out.bytes))
    }
    return { ms, outputs }
  } finally {
    await pool.close()
  }
}

function rate (jobs: number, ms: number): string {
  return `${Math.round(jobs / (ms / 1000)).toLocaleString('en-US')} jobs/s (${Math.round(ms)} ms)`
}

describe(`throughput: one tab vs a Node ThreadPool, ${THREADS} threads each`, () => {
  it('same outputs; speeds reported', async (t: TestContext) => {
    const server = await startPageServer({ port: 0, config: () => ({ bootstrap: [] }) })
    try {
      await withBrowser({}, async browser => {
        const { page } = await browser.open(`${server.url}executor-suite.html`)
        await page.waitForFunction(() => window.__executorSuite != null, undefined, { timeout: 10_000 })
        for (const w of workloads) {
          const bytes = new Uint8Array(await readFile(join(repoRoot, w.wasm)))
          const node = await inNode(w, bytes)
          const request = { wasm: Buffer.from(bytes).toString('base64'), export: w.export, inputs: w.inputs, threads: THREADS, batch: w.batch }
          const tab = await page.evaluate(async req => await window.__executorSuite!.bench(req), request)
          assert.equal(tab.failed, 0)
          assert.deepEqual(tab.outputs, node.outputs, 'the tab computes exactly what Node computes')
          const line = `${w.name}: Node ThreadPool ${rate(w.inputs.length, node.ms)}; Chromium tab ${rate(w.inputs.length, tab.ms)}; tab/Node ${(node.ms / tab.ms).toFixed(2)}`
          t.diagnostic(line)
          console.log(`# ${line}`)
        }
      })
    } finally {
      await server.close()
    }
  })
})
