/**
 * A running service program, wherever it runs: its output as lines, its pid, how it ended, and how to
 * signal it. `LocalProcess` is a child of this process; `RemoteProcess` runs on an SSH host under a small
 * POSIX-shell wrapper (remote-wrapper.ts) that reports the program's pid and exit status.
 */
import type { ChildProcess } from 'node:child_process'
import type { LineBuffer } from './line-buffer.js'
import { EXIT_MARK, PID_MARK } from './remote-wrapper.js'
import type { SshTarget } from './ssh.js'

export interface ServiceExit {
  /** The exit code, or null when killed by a signal or lost. */
  readonly code: number | null
  /** The signal that killed it (`SIGKILL`, …), when known. */
  readonly signal: string | null
  /** The SSH connection to its host was lost: how the program ended is unknown (it leaves once it notices). */
  readonly lost?: boolean
}

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGKILL'

/** Where a process's lines go: buffers the Service owns from its creation, so readers may come before the start. */
export interface ServiceOutput {
  readonly stdout: LineBuffer
  readonly stderr: LineBuffer
}

export interface ServiceProcess extends ServiceOutput {
  /** The program's pid on its host, once known (undefined if it never started). */
  readonly pid: Promise<number | undefined>
  readonly exited: Promise<ServiceExit>
  signal (signal: StopSignal): Promise<void>
  /** Closes its stdin: a program started `--attached` leaves. */
  detach (): void
  /** Gives up on it: kills the local side (the child, or the ssh client). */
  abandon (): void
}

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' }

export class LocalProcess implements ServiceProcess {
  readonly stdout: LineBuffer
  readonly stderr: LineBuffer
  readonly pid: Promise<number | undefined>
  readonly exited: Promise<ServiceExit>

  constructor (private readonly child: ChildProcess, output: ServiceOutput) {
    this.stdout = output.stdout
    this.stderr = output.stderr
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.stdout.push(d) }).on('end', () => { this.stdout.end() })
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr.push(d) }).on('end', () => { this.stderr.end() })
    child.stdin!.on('error', () => {}) // EPIPE once it exited
    this.pid = Promise.resolve(child.pid)
    this.exited = new Promise(resolve => {
      child.once('error', err => {
        this.stderr.push(`could not start: ${err.message}\n`)
        resolve({ code: null, signal: null })
      })
      child.once('close', (code, signal) => {
        this.stdout.end()
        this.stderr.end()
        resolve({ code, signal })
      })
    })
  }

  async signal (signal: StopSignal): Promise<void> {
    if (this.child.exitCode == null && this.child.signalCode == null) this.child.kill(signal)
  }

  detach (): void {
    this.child.stdin?.end()
  }

  abandon (): void {
    void this.signal('SIGKILL')
  }
}

export class RemoteProcess implements ServiceProcess {
  readonly stdout: LineBuffer
  readonly stderr: LineBuffer
  readonly pid: Promise<number | undefined>
  readonly exited: Promise<ServiceExit>
  private remotePid: number | undefined
  private done = false

  constructor (private readonly target: SshTarget, private readonly child: ChildProcess, output: ServiceOutput) {
    this.stdout = output.stdout
    this.stderr = output.stderr
    let reported: number | undefined
    let sshSaid = '' // stderr before the program started: ssh's or the wrapper's own words
    let resolvePid!: (pid: number | undefined) => void
    this.pid = new Promise(resolve => { resolvePid = resolve })
    splitLines(child.stdout!, line => {
      const m = line.startsWith(PID_MARK) ? /^\S+ (\d+)$/.exec(line) : null
      if (m != null && this.remotePid == null) {
        this.remotePid = Number(m[1])
        resolvePid(this.remotePid)
        // the program may have written to stderr before the wrapper said its pid: those lines are the program's
        if (sshSaid !== '') this.stderr.push(sshSaid)
        sshSaid = ''
      } else this.stdout.push(`${line}\n`)
    }, () => { this.stdout.end() })
    splitLines(child.stderr!, line => {
      const m = line.startsWith(EXIT_MARK) ? /^\S+ (\d+)$/.exec(line) : null
      if (m != null) reported = Number(m[1])
      else if (this.remotePid == null) sshSaid += `${line}\n`
      else this.stderr.push(`${line}\n`)
    }, () => {
      if (sshSaid !== '') this.stderr.push(sshSaid) // it never started: why is in these lines
      sshSaid = ''
      this.stderr.end()
    })
    child.stdin!.on('error', () => {})
    this.exited = new Promise(resolve => {
      child.once('error', err => {
        this.stderr.push(`could not run ssh: ${err.message}\n`)
        resolve({ code: null, signal: null })
      })
      child.once('close', code => {
        this.done = true
        resolvePid(this.remotePid)
        this.stderr.end()
        // no status from the wrapper: ssh's own 255 means the connection failed or was lost
        if (reported == null) return resolve(code === 255 ? { code: null, signal: null, lost: true } : { code, signal: null })
        // a shell reports a program killed by signal N as 128 + N
        resolve(reported > 128 ? { code: null, signal: SIGNALS[reported - 128] ?? `signal ${reported - 128}` } : { code: reported, signal: null })
      })
    })
  }

  /** Signals the program by pid over a second SSH connection (the first one carries its output). */
  async signal (signal: StopSignal): Promise<void> {
    const pid = this.remotePid
    if (pid == null || this.done) return
    try {
      await this.target.run(`kill -${signal.slice(3)} ${pid} 2>/dev/null; true`, undefined, 20_000)
    } catch {
      // the host is gone: the program leaves by itself when its stdin closes (--attached)
    }
  }

  detach (): void {
    this.child.stdin?.end()
  }

  abandon (): void {
    if (this.child.exitCode == null && this.child.signalCode == null) this.child.kill('SIGKILL')
  }
}

function splitLines (stream: NodeJS.ReadableStream, line: (l: string) => void, end: () => void): void {
  let rest = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n')
    rest = parts.pop() ?? ''
    for (const p of parts) line(p.replace(/\r$/, ''))
  })
  stream.on('end', () => {
    if (rest !== '') line(rest)
    end()
  })
}
