/** Runs the raw-TCP ceiling (raw-tcp-dispatcher.js) as its own process tree and reads its result. */
import { BenchProc } from '../lib/proc.js'

export interface RawTcpResult {
  readonly jobs: number
  readonly elapsedMs: number
  readonly jobsPerSec: number
  readonly sum: number
}

/** `window`: jobs in flight per worker (1: one job at a time, a round-trip latency measurement). */
export async function runRawTcp (init: { wasm: string, exportName: string, jobs: number, workers: number, window?: number, timeoutMs: number }): Promise<RawTcpResult> {
  const proc = new BenchProc({
    script: 'dist/bench/baselines/raw-tcp-dispatcher.js',
    args: ['--wasm', init.wasm, '--export', init.exportName, '--jobs', String(init.jobs), '--workers', String(init.workers), '--window', String(init.window ?? 2048)]
  })
  try {
    const { match } = await proc.waitForLine(/^\{.*"jobsPerSec".*\}$/, init.timeoutMs)
    await proc.waitExit(5000)
    return JSON.parse(match[0]) as RawTcpResult
  } finally {
    proc.kill('SIGKILL')
  }
}
