/**
 * W1 tiny jobs: 100,000 `double` jobs through a coordinator and 2 networked grid-worker processes (one thread
 * each), against the same function in a plain in-process loop and against the raw-TCP ceiling dispatcher with
 * 2 worker processes. Runs are interleaved (ceiling, grid, loop, …) so that the machine's drift hits all three.
 * A 100k-job run lasts well under a second, so warm-up (JIT, the credit window learning the cost of a job)
 * weighs on it; one more pair of runs with 1M jobs shows the steady state.
 */
import { join } from 'node:path'
import { runLoop, range } from '../baselines/loop.js'
import { runRawTcp } from '../baselines/raw-tcp.js'
import { expectEqual, jsonlNumbers } from '../lib/check.js'
import { WASM_FILE, writeMapFlow } from '../lib/fixtures.js'
import { runNetworked } from '../lib/grid.js'
import type { BenchContext, WorkloadResult } from '../lib/report.js'
import { figure, target } from '../lib/report.js'
import { ratio, summarize } from '../lib/stats.js'
import type { Summary } from '../lib/stats.js'

const WORKERS = 2
export const W1_TARGET = 0.5
const LONG_JOBS = 1_000_000

export async function w1Tiny (ctx: BenchContext): Promise<WorkloadResult> {
  const jobs = ctx.quick ? 2000 : 100_000
  const flow = await writeMapFlow(ctx.dir, 'w1', ctx.wasm, 'double', { start: 0, end: jobs }, 'jsonl')
  const expectedSum = jobs * (jobs - 1)
  const grid: number[] = []
  const ceiling: number[] = []
  const loop: number[] = []
  const coordinatorCpu: number[] = []
  const workerCpu: number[] = []
  const notes: string[] = []
  for (let run = 1; run <= ctx.runs; run++) {
    const raw = await runRawTcp({ wasm: join(flow.dir, WASM_FILE), exportName: 'double', jobs, workers: WORKERS, timeoutMs: 120_000 })
    expectEqual('W1 raw-TCP sum', raw.sum, expectedSum)
    ceiling.push(raw.jobsPerSec)

    const r = await runNetworked(ctx.env, { flow: flow.path, workers: WORKERS, threadsPerWorker: 1, cache: join(ctx.dir, 'cache'), timeoutMs: 300_000, tag: `w1r${run}` })
    const out = await jsonlNumbers(join(flow.dir, 'out.jsonl'))
    expectEqual('W1 grid outputs', out.count, jobs)
    expectEqual('W1 grid sum', out.sum, expectedSum)
    grid.push(jobs / (r.elapsedMs / 1000))
    if (r.coordinatorCpuMs != null) coordinatorCpu.push(r.coordinatorCpuMs * 1000 / jobs)
    if (r.workerCpuMs.length === WORKERS) workerCpu.push(r.workerCpuMs.reduce((a, b) => a + b, 0) * 1000 / jobs)
    if (run === 1 && r.timing !== 'wallMs') notes.push('grid-coordinator has no --wait-workers: grid time runs from the first worker joining to the coordinator exit')

    const l = runLoop(ctx.instance, 'double', range(0, jobs))
    expectEqual('W1 loop sum', l.outputs.reduce((a, b) => a + b, 0), expectedSum)
    loop.push(l.jobsPerSec)
    ctx.log(`W1 run ${run}/${ctx.runs}: grid ${Math.round(grid[run - 1])}/s, raw TCP ${Math.round(raw.jobsPerSec)}/s, loop ${Math.round(l.jobsPerSec)}/s`)
  }
  const long = ctx.quick ? undefined : await steadyState(ctx, WORKERS)
  const g = summarize(grid)
  const c = summarize(ceiling)
  const l = summarize(loop)
  const toCeiling = ratio(g, c)
  return {
    id: 'W1',
    title: 'tiny jobs',
    params: { jobs, function: 'double', workers: WORKERS, threadsPerWorker: 1, sink: 'jsonl' },
    figures: {
      grid: figure(g, 'jobs/s', `${jobs} jobs, coordinator + ${WORKERS} grid-worker processes (1 thread each), jsonl sink`),
      rawTcp: figure(c, 'jobs/s', `raw-TCP ceiling: minimal dispatcher + ${WORKERS} worker processes, same WASM function`),
      loop: figure(l, 'jobs/s', 'same function in a plain loop, one thread, in process'),
      // CPU time per job is far less sensitive than wall time to other work on the machine
      ...(coordinatorCpu.length > 0 ? { coordinatorCpu: figure(summarize(coordinatorCpu), 'µs/job', 'coordinator process CPU time (user+system, start-up included) per job') } : {}),
      ...(workerCpu.length > 0 ? { workerCpu: figure(summarize(workerCpu), 'µs/job', `CPU time of the ${WORKERS} grid-worker processes together (threads and start-up included) per job`) } : {}),
      ...(long != null ? { gridLong: figure(long.grid, 'jobs/s', `${LONG_JOBS} jobs (one run): the steady state`), rawTcpLong: figure(long.rawTcp, 'jobs/s', `raw-TCP ceiling, ${LONG_JOBS} jobs (one run)`) } : {})
    },
    ratios: {
      ...(long != null ? { gridToRawTcpLong: { ...ratio(long.grid, long.rawTcp), description: `grid / raw-TCP ceiling with ${LONG_JOBS} jobs` } } : {}),
      gridToRawTcp: { ...toCeiling, description: 'grid / raw-TCP ceiling' },
      gridToLoop: { ...ratio(g, l), description: 'grid / in-process loop' },
      rawTcpToLoop: { ...ratio(c, l), description: 'raw-TCP ceiling / in-process loop' }
    },
    targets: [target('W1', 'grid ≥ 50 % of the raw-TCP ceiling', `≥ ${W1_TARGET}`, toCeiling.value, 'ratio', toCeiling.value >= W1_TARGET)],
    notes
  }
}

/** One grid run and one raw-TCP run of LONG_JOBS jobs, outputs checked. */
async function steadyState (ctx: BenchContext, workers: number): Promise<{ grid: Summary, rawTcp: Summary }> {
  const flow = await writeMapFlow(ctx.dir, 'w1-long', ctx.wasm, 'double', { start: 0, end: LONG_JOBS }, 'jsonl')
  const expectedSum = LONG_JOBS * (LONG_JOBS - 1)
  const raw = await runRawTcp({ wasm: join(flow.dir, WASM_FILE), exportName: 'double', jobs: LONG_JOBS, workers, timeoutMs: 300_000 })
  expectEqual('W1 long raw-TCP sum', raw.sum, expectedSum)
  const r = await runNetworked(ctx.env, { flow: flow.path, workers, threadsPerWorker: 1, cache: join(ctx.dir, 'cache'), timeoutMs: 300_000, tag: 'w1long' })
  const out = await jsonlNumbers(join(flow.dir, 'out.jsonl'))
  expectEqual('W1 long grid outputs', out.count, LONG_JOBS)
  expectEqual('W1 long grid sum', out.sum, expectedSum)
  const grid = LONG_JOBS / (r.elapsedMs / 1000)
  ctx.log(`W1 ${LONG_JOBS} jobs: grid ${Math.round(grid)}/s, raw TCP ${Math.round(raw.jobsPerSec)}/s`)
  return { grid: summarize([grid]), rawTcp: summarize([raw.jobsPerSec]) }
}
