/**
 * Processes the bench spawns (coordinators, workers, baseline dispatchers): output kept line by line with the
 * time each line arrived, peak RSS from the probe (or /proc polling when the process could not write it),
 * every wait bounded, and every process killed by its own pid at the end.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ProbeReport } from './probe.js'

/** The repository root, from dist/bench/lib/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const PROBE = new URL('./probe.js', import.meta.url).href
const RSS_POLL_MS = 100

export interface Line {
  readonly text: string
  /** performance.now() in the bench process when the line arrived. */
  readonly at: number
  readonly stream: 'stdout' | 'stderr'
}

export interface ProcInit {
  /** Script path relative to the repository root, e.g. node-peer/bin/grid-worker.js. */
  readonly script: string
  readonly args: readonly string[]
  readonly cwd?: string
  /** Where the probe writes its report; no probe without it. */
  readonly probeFile?: string
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[]
  /** Keep stdout lines (default true); a flow printing millions of lines would fill memory. */
  readonly keepStdout?: boolean
  readonly onLine?: (line: Line) => void
}

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly at: number
}

export class BenchProc {
  readonly lines: Line[] = []
  readonly startedAt: number
  readonly exited: Promise<Exit>
  private readonly child: ChildProcess
  private readonly waiters = new Set<() => void>()
  private peakHwmKiB = 0
  private readonly poll: ReturnType<typeof setInterval>
  private done = false

  constructor (private readonly init: ProcInit) {
    const flags = [...(init.probeFile != null ? ['--import', PROBE] : []), ...(init.nodeFlags ?? [])]
    this.startedAt = performance.now()
    this.child = spawn(process.execPath, [...flags, join(REPO_ROOT, init.script), ...init.args], {
      cwd: init.cwd ?? REPO_ROOT,
      env: { ...process.env, EDGE_GRID_BENCH_PROBE: init.probeFile ?? '' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    this.collect('stdout', init.keepStdout ?? true)
    this.collect('stderr', true)
    this.exited = new Promise(resolve => this.child.on('close', (code, signal) => {
      this.done = true
      clearInterval(this.poll)
      this.wake()
      resolve({ code, signal, at: performance.now() })
    }))
    this.poll = setInterval(() => { this.readHwm() }, RSS_POLL_MS)
    this.poll.unref()
  }

  get pid (): number | undefined {
    return this.child.pid
  }

  get output (): string {
    return this.lines.map(l => l.text).join('\n')
  }

  /** The first line (already seen or to come) matching `pattern`; throws after `ms` or if the process ends first. */
  async waitForLine (pattern: RegExp, ms = 30_000): Promise<{ line: Line, match: RegExpMatchArray }> {
    const found = await this.waitUntil(() => {
      for (const line of this.lines) {
        const match = line.text.match(pattern)
        if (match != null) return { line, match }
      }
      return undefined
    }, ms, `a line matching ${pattern}`)
    return found
  }

  /** The first `count` lines matching `pattern`. */
  async waitForLines (pattern: RegExp, count: number, ms = 30_000): Promise<Line[]> {
    return await this.waitUntil(() => {
      const matching = this.lines.filter(l => pattern.test(l.text))
      return matching.length >= count ? matching.slice(0, count) : undefined
    }, ms, `${count} lines matching ${pattern}`)
  }

  /** Waits for the exit (bounded: SIGKILL after `ms`). */
  async waitExit (ms: number): Promise<Exit> {
    const timer = setTimeout(() => { this.kill('SIGKILL') }, ms)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  /** Sends `signal`, then SIGKILL if the process has not exited after `ms`. */
  async stop (signal: NodeJS.Signals = 'SIGTERM', ms = 10_000): Promise<Exit> {
    this.kill(signal)
    return await this.waitExit(ms)
  }

  kill (signal: NodeJS.Signals): void {
    if (!this.done && this.child.exitCode == null && this.child.signalCode == null) this.child.kill(signal)
  }

  /** Peak RSS in MB (10^6 bytes): the probe's figure when the process wrote it, else the highest VmHWM polled. */
  peakRssMB (): { mb: number, source: 'probe' | 'proc' } | undefined {
    const probe = this.probe()
    if (probe != null) return { mb: probe.maxRssKiB * 1024 / 1e6, source: 'probe' }
    return this.peakHwmKiB > 0 ? { mb: this.peakHwmKiB * 1024 / 1e6, source: 'proc' } : undefined
  }

  probe (): ProbeReport | undefined {
    if (this.init.probeFile == null || !this.done) return undefined
    try {
      return JSON.parse(readFileSync(this.init.probeFile, 'utf8')) as ProbeReport
    } catch {
      return undefined
    }
  }

  private collect (stream: 'stdout' | 'stderr', keep: boolean): void {
    let rest = ''
    const source = this.child[stream]!
    source.setEncoding('utf8')
    source.on('data', (chunk: string) => {
      const at = performance.now()
      const parts = (rest + chunk).split('\n')
      rest = parts.pop()!
      for (const text of parts) {
        const line: Line = { text, at, stream }
        if (keep) this.lines.push(line)
        this.init.onLine?.(line)
      }
      if (keep) this.wake()
    })
  }

  private wake (): void {
    for (const waiter of [...this.waiters]) waiter()
  }

  private async waitUntil<T> (check: () => T | undefined, ms: number, what: string): Promise<T> {
    const now = check()
    if (now !== undefined) return now
    return await new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
      }
      const waiter = (): void => {
        const value = check()
        if (value !== undefined) {
          finish()
          resolve(value)
        } else if (this.done) {
          finish()
          reject(new Error(`${this.init.script} exited before ${what}; output:\n${this.output.slice(-3000)}`))
        }
      }
      const timer = setTimeout(() => {
        finish()
        reject(new Error(`${this.init.script}: no ${what} within ${ms} ms; output:\n${this.output.slice(-3000)}`))
      }, ms)
      this.waiters.add(waiter)
    })
  }

  private readHwm (): void {
    if (this.done || this.child.pid == null) return
    try {
      const m = readFileSync(`/proc/${this.child.pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+)\s+kB/m)
      if (m != null) this.peakHwmKiB = Math.max(this.peakHwmKiB, Number(m[1]))
    } catch { /* not on Linux, or the process just ended */ }
  }
}

/** Stops every process given (SIGTERM, then SIGKILL), each by its own pid. */
export async function stopAll (procs: readonly BenchProc[], ms = 10_000): Promise<void> {
  await Promise.all(procs.map(async p => await p.stop('SIGTERM', ms)))
}
