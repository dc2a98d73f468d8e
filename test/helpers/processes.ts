/** Long-running CLI processes for multi-process tests: output captured, waits bounded, always killed. */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { binDir, repoRoot } from './cli.js'

export class Proc {
  output = ''
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  private readonly child: ChildProcess
  private readonly group: boolean

  /** `group`: its own process group, so `interruptGroup()` can do what Ctrl-C in a terminal does. */
  constructor (readonly bin: string, readonly args: readonly string[], options: { cwd?: string, command?: string[], env?: NodeJS.ProcessEnv, group?: boolean } = {}) {
    const argv = options.command ?? [process.execPath, `${binDir}${bin}.js`, ...args]
    this.group = options.group === true
    this.child = spawn(argv[0], argv.slice(1), { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: this.group })
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.output += d })
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.output += d })
    this.exited = new Promise(resolve => this.child.on('close', (code, signal) => resolve({ code, signal })))
  }

  get pid (): number | undefined {
    return this.child.pid
  }

  /** Waits until the output matches `pattern` (bounded); returns the match. */
  async waitFor (pattern: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      const m = this.output.match(pattern)
      if (m != null) return m
      if (this.child.exitCode != null) break
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    throw new Error(`${this.bin}: no ${pattern} within ${ms} ms (exit ${this.child.exitCode}); output:\n${this.output.slice(-3000)}`)
  }

  /** SIGINT to its whole process group, as a terminal's Ctrl-C (needs `group: true`). */
  interruptGroup (): void {
    if (this.child.pid != null && this.child.exitCode == null && this.child.signalCode == null) process.kill(-this.child.pid, 'SIGINT')
  }

  /** Signals the process (with `group: true`, its whole process group: nothing it started is left over). */
  kill (signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode != null || this.child.signalCode != null) return
    if (this.group && this.child.pid != null) {
      try { process.kill(-this.child.pid, signal) } catch {}
    } else this.child.kill(signal)
  }

  /** Stops the process (SIGKILL after `ms` if it does not exit by itself). */
  async stop (signal: NodeJS.Signals = 'SIGINT', ms = 15_000): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    this.kill(signal)
    const timer = setTimeout(() => this.kill('SIGKILL'), ms)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }
}
