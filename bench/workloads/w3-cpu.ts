/**
 * W3 CPU-bound: 64 `burn` jobs of about 50 ms each (the iteration count is calibrated on this machine first),
 * run four ways: a plain in-process loop (the reference), the embedded pool with one thread
 * (`--local-only --workers 1`), one networked grid-worker with one thread, two with one thread each.
 * Speed-up = time(1 worker) / time(2 workers); efficiency = loop time / (time × threads). With `--workers N`
 * (N > 2) also N grid-workers of one thread: the scaling where the cores exist.
 */
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { runLoop, range } from '../baselines/loop.js'
import { BenchProc } from '../lib/proc.js'
import { expectEqual, jsonlNumbers } from '../lib/check.js'
import { expected, WASM_FILE, writeMapFlow } from '../lib/fixtures.js'
import type { FlowFile } from '../lib/fixtures.js'
import { runNetworked, startCoordinator } from '../lib/grid.js'
import type { RunReport } from '../lib/grid.js'
import type { BenchContext, WorkloadResult } from '../lib/report.js'
import { figure, target } from '../lib/report.js'
import { ratio, summarize } from '../lib/stats.js'

export const W3_SPEEDUP = 1.9
export const W3_OVERHEAD = 1.03

export async function w3Cpu (ctx: BenchContext): Promise<WorkloadResult> {
  const jobs = ctx.quick ? 16 : 64
  const jobMs = ctx.quick ? 10 : 50
  const iterations = calibrate(ctx, jobMs)
  const start = iterations
  const flow = await writeMapFlow(ctx.dir, 'w3', ctx.wasm, 'burn', { start, end: start + jobs }, 'jsonl')
  // the WASM function agrees with its JavaScript twin on small inputs; the loop's outputs are then the reference
  for (const n of [0, 1, 1000, 123_457]) expectEqual(`burn(${n})`, runLoop(ctx.instance, 'burn', [n]).outputs[0], expected.burn(n))
  let expectedSum: number | undefined

  const loop: number[] = []
  const parallelLoops: number[] = []
  const embedded: number[] = []
  const one: number[] = []
  const two: number[] = []
  const many: number[] = []
  const n = ctx.workers != null && ctx.workers > 2 ? ctx.workers : undefined
  const sizes: Array<readonly [number, number[]]> = [[1, one], [2, two], ...(n != null ? [[n, many] as const] : [])]
  for (let run = 1; run <= ctx.runs; run++) {
    const l = runLoop(ctx.instance, 'burn', range(start, start + jobs))
    const sum = l.outputs.reduce((a, b) => a + b, 0)
    expectedSum ??= sum
    expectEqual('W3 loop sum', sum, expectedSum)
    loop.push(l.elapsedMs)
    parallelLoops.push(await runParallelLoops(flow, start, jobs, expectedSum))
    embedded.push(await runEmbedded(ctx, flow, run, expectedSum, jobs))
    for (const [workers, into] of sizes) {
      const r = await runNetworked(ctx.env, { flow: flow.path, workers, threadsPerWorker: 1, cache: join(ctx.dir, 'cache'), timeoutMs: 300_000, tag: `w3w${workers}r${run}` })
      await check(flow, jobs, expectedSum)
      into.push(r.elapsedMs)
    }
    ctx.log(`W3 run ${run}/${ctx.runs}: loop ${ms(loop)}, 2 loops in parallel ${ms(parallelLoops)}, embedded ${ms(embedded)}, 1 worker ${ms(one)}, 2 workers ${ms(two)}${n != null ? `, ${n} workers ${ms(many)}` : ''}`)
  }
  const L = summarize(loop)
  const P = summarize(parallelLoops)
  const E = summarize(embedded)
  const W1 = summarize(one)
  const W2 = summarize(two)
  const speedup = ratio(W1, W2)
  const overhead = ratio(W1, L)
  return {
    id: 'W3',
    title: 'CPU-bound jobs',
    params: { jobs, targetJobMs: jobMs, iterationsPerJob: iterations, function: 'burn', loopMsPerJob: L.median / jobs },
    figures: {
      loop: figure(L, 'ms', 'plain in-process loop, one thread'),
      parallelLoops: figure(P, 'ms', 'two loop processes at once, half the jobs each: what this machine gives in parallel now'),
      embedded: figure(E, 'ms', 'grid-coordinator --local-only --workers 1'),
      oneWorker: figure(W1, 'ms', '1 networked grid-worker, 1 thread'),
      twoWorkers: figure(W2, 'ms', '2 networked grid-workers, 1 thread each'),
      ...(n != null ? { manyWorkers: figure(summarize(many), 'ms', `${n} networked grid-workers, 1 thread each (--workers)`) } : {})
    },
    ratios: {
      speedup: { ...speedup, description: 'time(1 worker) / time(2 workers)' },
      machineSpeedup: { ...ratio(L, P), description: 'time(loop) / time(2 loops in parallel): the ceiling for the speed-up here' },
      speedupToMachine: { value: speedup.value / ratio(L, P).value, description: 'grid speed-up / machine speed-up' },
      oneWorkerToLoop: { ...overhead, description: 'time(1 worker) / time(loop)' },
      embeddedToLoop: { ...ratio(E, L), description: 'time(embedded 1 thread) / time(loop)' },
      efficiencyTwoWorkers: { value: L.median / (2 * W2.median), description: 'loop time / (2 × time(2 workers))' },
      ...(n != null ? { speedupMany: { ...ratio(W1, summarize(many)), description: `time(1 worker) / time(${n} workers)` } } : {})
    },
    targets: [
      target('W3', '2 workers ≥ 1.9× one worker', `≥ ${W3_SPEEDUP}`, speedup.value, '×', speedup.value >= W3_SPEEDUP),
      target('W3', 'one worker ≤ 1.03× the in-process loop', `≤ ${W3_OVERHEAD}`, overhead.value, '×', overhead.value <= W3_OVERHEAD)
    ],
    notes: []
  }
}

/** Iterations of `burn` that take about `jobMs` here (measured with a short run, then scaled). */
function calibrate (ctx: BenchContext, jobMs: number): number {
  const probe = 2_000_000
  runLoop(ctx.instance, 'burn', [probe]) // compile tiers up first
  const r = runLoop(ctx.instance, 'burn', [probe, probe, probe])
  const perIteration = r.elapsedMs / (3 * probe)
  return Math.max(1000, Math.round(jobMs / perIteration))
}

/** Two loop processes at once, each on half the jobs; returns the time until both finished. */
async function runParallelLoops (flow: FlowFile, start: number, jobs: number, expectedSum: number | undefined): Promise<number> {
  const half = start + Math.floor(jobs / 2)
  const procs = [[start, half], [half, start + jobs]].map(([a, b]) => new BenchProc({ script: 'dist/bench/baselines/loop-child.js', args: [join(flow.dir, WASM_FILE), 'burn', String(a), String(b)] }))
  try {
    const lines = await Promise.all(procs.map(async p => (await p.waitForLine(/^\{.*"elapsedMs".*\}$/, 300_000)).line))
    const sum = lines.reduce((n, l) => n + (JSON.parse(l.text) as { sum: number }).sum, 0)
    if (expectedSum != null) expectEqual('W3 parallel loops sum', sum, expectedSum)
    // each process times its own loop (start-up left out); both ran at the same time, so the longer one counts
    return Math.max(...lines.map(l => (JSON.parse(l.text) as { elapsedMs: number }).elapsedMs))
  } finally {
    for (const p of procs) p.kill('SIGKILL')
  }
}

async function runEmbedded (ctx: BenchContext, flow: FlowFile, run: number, expectedSum: number, jobs: number): Promise<number> {
  const reportPath = join(ctx.dir, `report-w3-embedded-${run}.json`)
  const { proc } = await startCoordinator(ctx.env, { flow: flow.path, workers: 1, localOnly: true, report: reportPath })
  const exit = await proc.waitExit(300_000)
  expectEqual(`W3 embedded exit code (output: ${proc.output.slice(-500)})`, exit.code, 0)
  await check(flow, jobs, expectedSum)
  return (JSON.parse(await readFile(reportPath, 'utf8')) as RunReport).wallMs
}

async function check (flow: FlowFile, jobs: number, expectedSum: number): Promise<void> {
  const out = await jsonlNumbers(join(flow.dir, 'out.jsonl'))
  expectEqual('W3 outputs', out.count, jobs)
  expectEqual('W3 sum', out.sum, expectedSum)
}

function ms (values: number[]): string {
  return `${Math.round(values[values.length - 1])} ms`
}
