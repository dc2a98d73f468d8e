/**
 * Local deployments, Hydro Deploy style: `grid-coordinator --spawn N` starts N `grid-worker` processes on
 * this machine (real processes joined over libp2p, not threads), prefixes each line they print with
 * `[worker/i]`, and stops them at the end: SIGINT (a graceful leave), then SIGKILL after a grace period.
 *
 * Each child gets `--attached`: it leaves when its stdin pipe closes, so the workers end with the
 * coordinator even when the coordinator itself is killed outright.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { GridError } from '../core/errors.js'

/** The bin script (this file runs as dist/node-peer/spawned-workers.js). */
const WORKER_BIN = fileURLToPath(new URL('../../node-peer/bin/grid-worker.js', import.meta.url))
/** How long a spawned worker gets to leave after SIGINT before it is killed. */
export const SPAWN_GRACE_MS = 5_000

export interface SpawnInit {
  /** How many workers; they are named 0 … count-1 and show as `worker/0` … */
  readonly count: number
  /** The coordinator's address, ending in /p2p/<peer id>. */
  readonly bootstrap: string
  /** Threads per worker (default 1: one process is one member, as in Hydro clusters). */
  readonly threads?: number
  /** Where each line a worker prints goes (already prefixed). */
  readonly log: (line: string) => void
  /** The join secret, handed to the workers in their environment (never on a command line others can read). */
  readonly secret?: string
  /** Labels of worker i (`grid-worker --label`), for clusters chosen by label. */
  readonly labels?: (index: number) => readonly string[]
}

/** A spawned worker could not start or died before the run began (or there is no address for it to dial). */
export class SpawnError extends GridError {
  static override name = 'SpawnError'
}

interface Child {
  readonly name: string
  readonly process: ChildProcess
  readonly exited: Promise<void>
}

export class SpawnedWorkers {
  private constructor (private readonly children: readonly Child[], private readonly cacheDir: string) {}

  /** Starts the workers (it does not wait for them to join: CoordinatorNetwork.waitForWorkers does). */
  static async start (init: SpawnInit): Promise<SpawnedWorkers> {
    // a private module cache per deployment: nothing is left behind in the user's home
    const cacheDir = await mkdtemp(join(tmpdir(), 'edge-grid-spawn-'))
    const children: Child[] = []
    for (let i = 0; i < init.count; i++) {
      const name = String(i)
      const child = spawn(process.execPath, [WORKER_BIN,
        '--bootstrap', init.bootstrap, '--name', name, '--threads', String(init.threads ?? 1),
        '--cache', cacheDir, '--quiet', '--attached', ...(init.labels?.(i) ?? []).flatMap(label => ['--label', label])], {
        stdio: ['pipe', 'pipe', 'pipe'],
        ...(init.secret != null ? { env: { ...process.env, EDGE_GRID_SECRET: init.secret } } : {})
      })
      const prefix = `[worker/${name}] `
      for (const stream of [child.stdout, child.stderr]) prefixLines(stream, prefix, init.log)
      const exited = new Promise<void>(resolve => child.once('close', () => resolve()))
      child.on('error', err => { init.log(`${prefix}could not start: ${err.message}`) })
      children.push({ name, process: child, exited })
    }
    return new SpawnedWorkers(children, cacheDir)
  }

  /** Resolves when any worker exits (while the run needs them, that is a failure worth reporting). */
  async anyExit (): Promise<string> {
    return await Promise.race(this.children.map(async c => {
      await c.exited
      return `worker/${c.name} exited (${c.process.signalCode ?? `code ${String(c.process.exitCode)}`})`
    }))
  }

  get pids (): number[] {
    return this.children.map(c => c.process.pid).filter((p): p is number => p != null)
  }

  /** SIGINT to every worker, SIGKILL to those still running after `graceMs`; removes the module cache. */
  async stop (graceMs = SPAWN_GRACE_MS): Promise<void> {
    const running = this.children.filter(c => c.process.exitCode == null && c.process.signalCode == null)
    for (const c of running) c.process.kill('SIGINT')
    const timer = setTimeout(() => { for (const c of running) if (c.process.exitCode == null) c.process.kill('SIGKILL') }, graceMs)
    try {
      await Promise.all(this.children.map(async c => await c.exited))
    } finally {
      clearTimeout(timer)
      await rm(this.cacheDir, { recursive: true, force: true })
    }
  }
}

/** Splits a child's output into lines and logs each with `prefix` (workers already prefix their own logs). */
function prefixLines (stream: NodeJS.ReadableStream | null, prefix: string, log: (line: string) => void): void {
  if (stream == null) return
  let rest = ''
  const emit = (line: string): void => {
    if (line.trim() === '') return
    log(line.startsWith(prefix) ? line : `${prefix}${line}`)
  }
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) emit(line.replace(/\r$/, ''))
  })
  stream.on('end', () => { emit(rest) })
}
