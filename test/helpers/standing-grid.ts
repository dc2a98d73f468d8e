/**
 * A standing grid for tests, as users start it: `grid-coordinator serve` and `grid-worker` processes on
 * 127.0.0.1, and clients (`grid-coordinator flow.json --grid ADDR`) run in their own folders with their own
 * home (so each has its own default identity, ~/.edge-grid/client.key).
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { binDir, runBin } from './cli.js'
import type { CliResult } from './cli.js'
import { Proc } from './processes.js'

export interface Serve {
  readonly proc: Proc
  /** The address clients submit to (as printed in the submit command). */
  readonly addr: string
}

export async function startServe (args: readonly string[], cwd?: string): Promise<Serve> {
  const proc = new Proc('grid-coordinator', ['serve', '--listen', '/ip4/127.0.0.1/tcp/0', ...args], { cwd })
  const [, addr] = await proc.waitFor(/flow\.json --grid (\S+)/)
  await proc.waitFor(/serving: Ctrl-C stops/)
  return { proc, addr }
}

/** `count` single-thread grid-workers named w0, w1, …, joined when this resolves. */
export async function startWorkers (serve: Serve, count: number, dir: string): Promise<Proc[]> {
  const workers: Proc[] = []
  for (let i = 0; i < count; i++) {
    workers.push(new Proc('grid-worker', ['--bootstrap', serve.addr, '--threads', '1', '--name', `w${i}`, '--cache', join(dir, `cache-w${i}`), '--quiet']))
  }
  for (let i = 0; i < count; i++) await serve.proc.waitFor(new RegExp(`\\+ worker/w${i} joined`))
  return workers
}

/** A client's home folder (its identity lives in <home>/.edge-grid/client.key). */
export async function clientHome (): Promise<string> {
  return await mkdtemp(join(tmpdir(), 'edge-grid-client-home-'))
}

/** Runs the client CLI to its end in `cwd`, as a user with home `home` would. */
export async function runClient (args: readonly string[], cwd: string, home: string, timeoutMs = 120_000, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return await runBin('grid-coordinator', args, { cwd, timeoutMs, env: { HOME: home, ...env } })
}

/** A client process left running (to kill it, or to see what it prints). */
export function startClient (args: readonly string[], cwd: string, home: string): Proc {
  return new Proc('grid-coordinator', args, { cwd, command: ['env', `HOME=${home}`, process.execPath, `${binDir}grid-coordinator.js`, ...args] })
}

export async function stopAll (procs: ReadonlyArray<Proc | undefined>): Promise<void> {
  await Promise.all(procs.map(async p => await p?.stop('SIGINT', 10_000)))
}

/** Polls `--runs` (bounded) until this client's run of `flow` has done at least `min` jobs. */
export async function waitForRunJobs (serve: Serve, flow: string, cwd: string, home: string, min = 1, ms = 60_000, client?: Proc): Promise<void> {
  const deadline = Date.now() + ms
  let last = ''
  while (Date.now() < deadline) {
    const listed = await runClient(['--grid', serve.addr, '--runs'], cwd, home, 30_000)
    last = listed.stdout + listed.stderr
    const m = last.match(new RegExp(`\\s${flow}\\s+([\\d,]+) jobs? done`))
    if (m != null && Number(m[1].replace(/,/g, '')) >= min) return
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  throw new Error(`run of ${flow} did not reach ${min} jobs within ${ms} ms; last listing:\n${last}${client != null ? `\nclient:\n${client.output.slice(-2000)}` : ''}\ncoordinator:\n${serve.proc.output.slice(-2000)}`)
}
