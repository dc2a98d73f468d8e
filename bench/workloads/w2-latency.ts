/**
 * W2 latency: 5,000 jobs one at a time through one networked grid-worker (1 thread). A feedback loop makes
 * each job wait for the previous one: `countdown(n)` emits n on "trace" (to a stdout sink) and n - 1 on
 * "next" (back into itself). The coordinator runs inside this process (its real CLI `main`, with a terminal
 * that timestamps each sink write), so the time between two consecutive sink writes is one job's full round
 * trip: run state → job stream → worker agent → thread pool → WASM → back → run state. The first
 * WARMUP intervals (join, code fetch, JIT) are left out.
 * Baseline: the raw-TCP dispatcher with one job in flight (its mean round trip).
 */
import { join } from 'node:path'
import { main as coordinatorMain } from '../../node-peer/cli/coordinator.js'
import { Terminal } from '../../node-peer/cli/terminal.js'
import { runRawTcp } from '../baselines/raw-tcp.js'
import { expectEqual } from '../lib/check.js'
import { WASM_FILE, writeFlow } from '../lib/fixtures.js'
import { startWorker } from '../lib/grid.js'
import { stopAll } from '../lib/proc.js'
import type { BenchProc } from '../lib/proc.js'
import type { BenchContext, WorkloadResult } from '../lib/report.js'
import { figure, target } from '../lib/report.js'
import { percentile, summarize } from '../lib/stats.js'

const WARMUP = 20
export const W2_P50_MS = 0.5
export const W2_P99_MS = 2

/** A terminal that keeps log lines and the time and size of every sink write, and prints nothing. */
class CaptureTerminal extends Terminal {
  readonly logs: string[] = []
  readonly writes: Array<{ at: number, lines: number }> = []
  onLog: ((line: string) => void) | undefined

  override async write (text: string): Promise<void> {
    const at = performance.now()
    let lines = 0
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++
    this.writes.push({ at, lines })
  }

  override log (line: string): void {
    this.logs.push(line)
    this.onLog?.(line)
  }

  override status (): void {}
  override clearStatus (): void {}
}

export async function w2Latency (ctx: BenchContext): Promise<WorkloadResult> {
  const jobs = ctx.quick ? 200 : 5000
  const flow = await writeFlow(ctx.dir, 'w2', ctx.wasm, {
    functions: { countdown: { wasm: WASM_FILE, export: 'countdown' } },
    sources: { start: { type: 'values', values: [jobs - 1] } },
    stages: { iter: { function: 'countdown', input: ['start', 'iter.next'], outputs: ['next', 'trace'] } },
    sinks: { trace: { type: 'stdout', input: 'iter.trace' } }
  })
  const p50s: number[] = []
  const p99s: number[] = []
  const means: number[] = []
  const p90s: number[] = []
  const maxes: number[] = []
  const raws: number[] = []
  for (let run = 1; run <= ctx.runs; run++) {
    const intervals = await oneRun(ctx, flow.path, jobs, run)
    intervals.sort((a, b) => a - b)
    p50s.push(percentile(intervals, 50))
    p99s.push(percentile(intervals, 99))
    means.push(intervals.reduce((a, b) => a + b, 0) / intervals.length)
    p90s.push(percentile(intervals, 90))
    maxes.push(intervals[intervals.length - 1])
    const raw = await runRawTcp({ wasm: join(flow.dir, WASM_FILE), exportName: 'double', jobs, workers: 1, window: 1, timeoutMs: 60_000 })
    raws.push(raw.elapsedMs / raw.jobs)
    ctx.log(`W2 run ${run}/${ctx.runs}: p50 ${p50s[run - 1].toFixed(3)} ms, p99 ${p99s[run - 1].toFixed(3)} ms, raw TCP mean ${raws[run - 1].toFixed(3)} ms`)
  }
  const p50 = summarize(p50s)
  const p99 = summarize(p99s)
  return {
    id: 'W2',
    title: 'latency, one job at a time',
    params: { jobs, function: 'countdown', workers: 1, threadsPerWorker: 1, warmupLeftOut: WARMUP },
    figures: {
      p50: figure(p50, 'ms', 'median round trip of one job through 1 networked worker'),
      p99: figure(p99, 'ms', '99th percentile round trip'),
      p90: figure(summarize(p90s), 'ms', '90th percentile round trip'),
      max: figure(summarize(maxes), 'ms', 'slowest round trip'),
      mean: figure(summarize(means), 'ms', 'mean round trip'),
      rawTcpMean: figure(summarize(raws), 'ms', 'raw-TCP baseline, one job in flight: mean round trip')
    },
    ratios: {
      p50ToRawTcp: { value: p50.median / summarize(raws).median, description: 'grid p50 / raw-TCP mean round trip' }
    },
    targets: [
      target('W2', 'p50 ≤ 0.5 ms', `≤ ${W2_P50_MS} ms`, p50.median, 'ms', p50.median <= W2_P50_MS),
      target('W2', 'p99 ≤ 2 ms', `≤ ${W2_P99_MS} ms`, p99.median, 'ms', p99.median <= W2_P99_MS)
    ],
    notes: []
  }
}

/** One run: returns the per-job round trips in ms. */
async function oneRun (ctx: BenchContext, flowPath: string, jobs: number, run: number): Promise<number[]> {
  const terminal = new CaptureTerminal()
  const workers: BenchProc[] = []
  let started: Promise<void> | undefined
  terminal.onLog = line => {
    const m = line.match(/listening on (\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+)/)
    if (m == null || started != null) return
    started = startWorker(ctx.env, { bootstrap: m[1], threads: 1, name: `w2r${run}`, cache: join(ctx.dir, 'cache') }).then(w => { workers.push(w) })
  }
  try {
    const args = [flowPath, '--workers', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--identity', join(ctx.dir, `w2-${run}.key`)]
    const code = await withTimeout(coordinatorMain(args, terminal), 120_000, 'W2 coordinator')
    expectEqual(`W2 coordinator exit code (log: ${terminal.logs.slice(-5).join(' | ')})`, code, 0)
  } finally {
    await started
    await stopAll(workers)
  }
  const writes = terminal.writes
  expectEqual('W2 sink lines', writes.reduce((n, w) => n + w.lines, 0), jobs)
  const intervals: number[] = []
  for (let i = WARMUP + 1; i < writes.length; i++) {
    // a write of several lines means jobs overlapped: impossible in this loop, so it is a harness error
    expectEqual('W2 lines per sink write', writes[i].lines, 1)
    intervals.push(writes[i].at - writes[i - 1].at)
  }
  return intervals
}

async function withTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms) })])
  } finally {
    clearTimeout(timer)
  }
}
