/** Runs the real CLIs as child processes (what a user types), with a hard time limit. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
export const binDir = `${repoRoot}node-peer/bin/`

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export async function runBin (bin: string, args: readonly string[], options: { cwd?: string, timeoutMs?: number, env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [`${binDir}${bin}.js`, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const timeoutMs = options.timeoutMs ?? 120_000
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.on('close', (c, s) => resolve([c, s])))
    if (signal === 'SIGKILL') throw new Error(`${bin} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`)
    return { code, signal, stdout, stderr }
  } finally {
    clearTimeout(timer)
  }
}

export async function runCoordinator (args: readonly string[], options?: { cwd?: string, timeoutMs?: number }): Promise<CliResult> {
  return await runBin('grid-coordinator', args, options)
}

/** Lines `[sink] value` of one sink, values as printed. */
export function sinkLines (stdout: string, sink: string): string[] {
  const prefix = `[${sink}] `
  return stdout.split('\n').filter(l => l.startsWith(prefix)).map(l => l.slice(prefix.length))
}
