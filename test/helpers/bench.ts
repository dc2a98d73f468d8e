/** Runs the benchmark (`dist/bench/run.js`) as a child process, for the bench tests. */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from './cli.js'

/** Runs dist/bench/run.js with a hard time limit; resolves with its exit code and output. */
export async function runBench (args: readonly string[], timeoutMs: number): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'bench', 'run.js'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  try {
    const code = await new Promise<number | null>(resolve => child.on('close', c => resolve(c)))
    return { code, stdout, stderr }
  } finally {
    clearTimeout(timer)
  }
}

export interface Summary { median: number, min: number, max: number, runs: number[], unit: string, description: string }
export interface Workload {
  id: string
  params: Record<string, unknown>
  figures: Record<string, Summary>
  ratios: Record<string, { value: number, description: string }>
  targets: Array<{ workload: string, name: string, goal: string, measured: number, unit: string, met: boolean }>
}
export interface BenchDocument {
  bench: string
  machine: { nproc: number, node: string, cpu: string }
  options: { quick: boolean, runs: number, only: string[] }
  workloads: Record<string, Workload>
  targets: Workload['targets']
  errors: unknown[]
}
