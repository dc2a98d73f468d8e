/**
 * W6 join time. (a) From `grid-worker` process start to its first completed job, with an empty module cache
 * (code fetched from the coordinator): the end is the first sink line the coordinator prints. The worker's
 * own log gives the steps in between (connected, joined). (b) The time for 20 grid-worker processes
 * (1 thread each, started at once, each with its own empty cache) to join a running coordinator, until the
 * coordinator has logged all 20 joins.
 */
import { join } from 'node:path'
import { expectEqual } from '../lib/check.js'
import { writeMapFlow } from '../lib/fixtures.js'
import { startCoordinator, startWorker, supportsWaitWorkers } from '../lib/grid.js'
import { stopAll } from '../lib/proc.js'
import type { BenchProc } from '../lib/proc.js'
import type { BenchContext, WorkloadResult } from '../lib/report.js'
import { figure, target } from '../lib/report.js'
import { summarize } from '../lib/stats.js'

export const W6_FIRST_JOB_MS = 2000
const CROWD = 20
/** Starting 20 Node processes at once takes ~20 s of this machine's 2 cores: one run. */
const MAX_CROWD_RUNS = 1
const JOIN_LINE = /^\+ worker\/\S+ joined/

export async function w6Join (ctx: BenchContext): Promise<WorkloadResult> {
  const crowd = ctx.quick ? 4 : CROWD
  const firstJob: number[] = []
  const connected: number[] = []
  const joined: number[] = []
  for (let run = 1; run <= ctx.runs; run++) {
    const r = await firstJobRun(ctx, run)
    firstJob.push(r.firstJob)
    connected.push(r.connected)
    joined.push(r.joined)
    ctx.log(`W6 run ${run}/${ctx.runs}: connected ${r.connected.toFixed(0)} ms, joined ${r.joined.toFixed(0)} ms, first job ${r.firstJob.toFixed(0)} ms after process start`)
  }
  const allJoined: number[] = []
  const firstJoined: number[] = []
  for (let run = 1; run <= Math.min(ctx.runs, MAX_CROWD_RUNS); run++) {
    const r = await crowdRun(ctx, crowd, run)
    allJoined.push(r.all)
    firstJoined.push(r.first)
    ctx.log(`W6 crowd run ${run}: ${crowd} workers joined within ${r.all.toFixed(0)} ms (first after ${r.first.toFixed(0)} ms)`)
  }
  const f = summarize(firstJob)
  return {
    id: 'W6',
    title: 'join time',
    params: { crowd, threadsPerWorker: 1, moduleCache: 'empty (code fetched from the coordinator)' },
    figures: {
      firstJob: figure(f, 'ms', 'grid-worker process start → its first job completed (first sink line at the coordinator)'),
      connected: figure(summarize(connected), 'ms', 'process start → "connected to coordinator" (worker log)'),
      joined: figure(summarize(joined), 'ms', 'process start → "joined flow" (worker log)'),
      crowdAllJoined: figure(summarize(allJoined), 'ms', `${crowd} grid-workers started at once → all ${crowd} joined (coordinator log)`),
      crowdFirstJoined: figure(summarize(firstJoined), 'ms', `${crowd} grid-workers started at once → the first joined`)
    },
    ratios: {},
    targets: [target('W6', 'first job within 2 s of worker start', `≤ ${W6_FIRST_JOB_MS} ms`, f.median, 'ms', f.median <= W6_FIRST_JOB_MS)],
    notes: []
  }
}

async function firstJobRun (ctx: BenchContext, run: number): Promise<{ firstJob: number, connected: number, joined: number }> {
  const jobs = 1000
  const flow = await writeMapFlow(ctx.dir, 'w6', ctx.wasm, 'double', { start: 0, end: jobs }, 'stdout')
  const { proc: coordinator, bootstrap } = await startCoordinator(ctx.env, { flow: flow.path, workers: 0, waitWorkers: 1, report: join(ctx.dir, `report-w6-${run}.json`) })
  const workers: BenchProc[] = []
  try {
    const worker = await startWorker(ctx.env, { bootstrap: bootstrap!, threads: 1, name: `w6r${run}`, cache: join(ctx.dir, `cache-w6-${run}`) })
    workers.push(worker)
    const first = await coordinator.waitForLine(/^\[out\] /, 30_000)
    const c = await worker.waitForLine(/connected to coordinator/, 5000)
    const j = await worker.waitForLine(/joined flow/, 5000)
    const exit = await coordinator.waitExit(60_000)
    expectEqual('W6 coordinator exit code', exit.code, 0)
    expectEqual('W6 sink lines', coordinator.lines.filter(l => l.text.startsWith('[out] ')).length, jobs)
    return { firstJob: first.line.at - worker.startedAt, connected: c.line.at - worker.startedAt, joined: j.line.at - worker.startedAt }
  } finally {
    await stopAll([coordinator, ...workers], 5000)
  }
}

async function crowdRun (ctx: BenchContext, crowd: number, run: number): Promise<{ all: number, first: number }> {
  // Without --wait-workers the run starts with the first worker: give it enough work to outlast the joins.
  const jobs = await supportsWaitWorkers() ? 20_000 : 5_000_000
  const flow = await writeMapFlow(ctx.dir, 'w6-crowd', ctx.wasm, 'double', { start: 0, end: jobs }, 'jsonl')
  const { proc: coordinator, bootstrap } = await startCoordinator(ctx.env, { flow: flow.path, workers: 0, waitWorkers: crowd, report: join(ctx.dir, `report-w6-crowd-${run}.json`) })
  const workers: BenchProc[] = []
  try {
    const started = performance.now()
    for (let i = 0; i < crowd; i++) {
      workers.push(await startWorker(ctx.env, { bootstrap: bootstrap!, threads: 1, name: `w6c${run}-${i + 1}`, cache: join(ctx.dir, `cache-w6-crowd-${run}-${i + 1}`) }))
    }
    const joins = await coordinator.waitForLines(JOIN_LINE, crowd, 60_000)
    if (await supportsWaitWorkers()) expectEqual('W6 crowd coordinator exit code', (await coordinator.waitExit(120_000)).code, 0)
    return { all: joins[crowd - 1].at - started, first: joins[0].at - started }
  } finally {
    await stopAll([coordinator, ...workers], 5000)
  }
}
