/**
 * Smoke run of `npm run bench` (W1, W2 and W10 at quick sizes, one run): proves the harness runs end to end and
 * writes a well-formed JSON document. Asserts structure and correctness checks, never speed.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBench } from '../helpers/bench.js'
import type { BenchDocument, Summary } from '../helpers/bench.js'

function assertSummary (name: string, s: Summary, runs: number): void {
  assert.equal(s.runs.length, runs, `${name}: one value per run`)
  for (const v of [s.median, s.min, s.max, ...s.runs]) assert.ok(Number.isFinite(v) && v > 0, `${name}: positive finite figures, got ${v}`)
  assert.ok(s.min <= s.median && s.median <= s.max, `${name}: min ≤ median ≤ max`)
  assert.equal(typeof s.unit, 'string')
  assert.ok(s.description.length > 0)
}

test('npm run bench --quick on W1, W2 and W10 writes every figure, ratio and target', { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-bench-smoke-'))
  try {
    const json = join(dir, 'bench.json')
    const result = await runBench(['--quick', '--only', 'W1,W2,W10', '--runs', '1', '--json', json], 290_000)
    assert.equal(result.code, 0, `bench failed:\n${result.stderr.slice(-3000)}`)
    const doc = JSON.parse(await readFile(json, 'utf8')) as BenchDocument
    assert.equal(doc.bench, 'edge-grid')
    assert.deepEqual(doc.options, { quick: true, runs: 1, only: ['W1', 'W2', 'W10'] })
    assert.ok(doc.machine.nproc >= 1 && doc.machine.node.startsWith('v') && doc.machine.cpu.length > 0)
    assert.deepEqual(doc.errors, [])
    assert.deepEqual(Object.keys(doc.workloads).sort(), ['W1', 'W10', 'W2'])

    const w1 = doc.workloads.W1
    assert.equal(w1.params.items, 2000)
    for (const name of ['grid', 'rawTcp', 'loop', 'sink', 'coordinatorCpu', 'gridChained', 'loopChained', 'coordinatorCpuChained']) assertSummary(`W1.${name}`, w1.figures[name], 1)
    assert.ok(Math.abs(w1.ratios.gridToLoop.value - w1.figures.grid.median / w1.figures.loop.median) < 1e-9)
    assert.ok(w1.ratios.gridToSink.value > 0)
    assert.ok(w1.ratios.chainedToLoop.value > 0)

    const w2 = doc.workloads.W2
    assert.equal(w2.params.jobs, 200)
    for (const name of ['p50', 'p99', 'mean', 'rawTcpMean']) assertSummary(`W2.${name}`, w2.figures[name], 1)
    assert.ok(w2.figures.p50.median <= w2.figures.p99.median, 'p50 ≤ p99')

    // W10 checked every word's count (a wrong one fails the bench); the text is small and deterministic
    const w10 = doc.workloads.W10
    assert.ok((w10.params.bytes as number) >= 200_000 && (w10.params.words as number) > 0 && (w10.params.distinctWords as number) > 0)
    for (const name of ['grid', 'loop', 'coordinatorCpu', 'workerCpu']) assertSummary(`W10.${name}`, w10.figures[name], 1)
    assert.ok(Math.abs(w10.ratios.gridToLoop.value - w10.figures.grid.median / w10.figures.loop.median) < 1e-9)

    assert.deepEqual(doc.targets.map(t => t.workload), ['W1', 'W1', 'W2', 'W2', 'W10'])
    for (const t of doc.targets) {
      assert.equal(typeof t.met, 'boolean')
      assert.ok(Number.isFinite(t.measured))
    }
    // the printed table names every workload and target
    assert.match(result.stdout, /\| W1 cheap work .*\| grid \(items\/s\)/)
    assert.match(result.stdout, /\| W2: p99 ≤ 2 ms/)
    assert.match(result.stdout, /\| W10 word count .*\| grid \(MB\/s\)/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
