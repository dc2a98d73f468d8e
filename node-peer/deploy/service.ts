/**
 * One service of a deployment (the coordinator, or one worker) on one host: its state for the progress
 * tree, its output as lines buffered from its start, its exit, and stop().
 */
import type { Host, ProgramStart } from './hosts.js'
import { LineBuffer } from './line-buffer.js'
import type { ServiceExit, ServiceProcess } from './service-process.js'

/** How long a service gets to leave after SIGINT (a worker hands back its jobs) before SIGKILL. */
export const STOP_GRACE_MS = 5_000

export type ServiceState = 'waiting' | 'preparing' | 'starting' | 'running' | 'joined' | 'stopping' | 'stopped' | 'exited' | 'lost'

export class Service {
  /** What the progress tree shows: `running`, `joined`, `exited (code 1)`, … */
  state: ServiceState = 'waiting'
  /** Its pid on its host, once started. */
  pid: number | undefined
  /** The exit code once it ended (null: killed by a signal, lost, or not ended yet). */
  exitCode: number | null = null
  /** How it ended, once it did. */
  exit: ServiceExit | undefined
  /** Resolves when it ended (also when it was never started and the deployment stopped). */
  readonly exited: Promise<ServiceExit>
  private process: ServiceProcess | undefined
  private resolveExited!: (exit: ServiceExit) => void
  private stopping: Promise<ServiceExit> | undefined
  private readonly output = { stdout: new LineBuffer(), stderr: new LineBuffer() }

  /** @internal made by Deployment.coordinator / workers */
  constructor (
    /** `coordinator` or `worker/3`. */
    readonly name: string,
    readonly host: Host,
    private readonly changed: (service: Service) => void
  ) {
    this.exited = new Promise(resolve => { this.resolveExited = resolve })
  }

  /** `worker/3@host`: how its lines are prefixed. */
  get label (): string {
    return `${this.name}@${this.host.name}`
  }

  /** Its stdout, line by line, from its very first line; ends when the service ends. */
  stdout (): AsyncIterable<string> {
    return this.output.stdout.read()
  }

  /** Its stderr, line by line, from its very first line; ends when the service ends. */
  stderr (): AsyncIterable<string> {
    return this.output.stderr.read()
  }

  /** The last `n` lines it printed on stderr (for error messages). */
  stderrTail (n: number): string[] {
    return this.output.stderr.tail(n)
  }

  /** stop() was called: its end is no surprise. */
  get stopRequested (): boolean {
    return this.stopping != null
  }

  /** @internal */
  setState (state: ServiceState): void {
    if (this.exit != null && state !== 'stopped' && state !== 'exited' && state !== 'lost') return
    this.state = state
    this.changed(this)
  }

  /** @internal starts it (once); the output buffers begin here. */
  start (what: ProgramStart): ServiceProcess {
    const process = this.host.start(what, this.output)
    this.process = process
    this.setState('starting')
    void process.pid.then(pid => { this.pid = pid })
    void process.exited.then(exit => {
      this.exit = exit
      this.exitCode = exit.code
      this.setState(this.stopping != null ? 'stopped' : exit.lost === true ? 'lost' : 'exited')
      this.resolveExited(exit)
    })
    return process
  }

  /** Asks it to leave (SIGINT), kills it (SIGKILL) after STOP_GRACE_MS; resolves when it ended. */
  async stop (graceMs = STOP_GRACE_MS): Promise<ServiceExit> {
    this.stopping ??= this.stopNow(graceMs)
    return await this.stopping
  }

  private async stopNow (graceMs: number): Promise<ServiceExit> {
    const process = this.process
    if (process == null) {
      const exit = { code: null, signal: null }
      this.output.stdout.end()
      this.output.stderr.end()
      this.exit = exit
      this.setState('stopped')
      this.resolveExited(exit)
      return exit
    }
    if (this.exit != null) return this.exit
    this.setState('stopping')
    await process.pid
    await process.signal('SIGINT')
    let timer: NodeJS.Timeout | undefined
    const killed = new Promise<void>(resolve => {
      timer = setTimeout(() => { void process.signal('SIGKILL').then(resolve) }, graceMs)
    })
    // after the kill: closing stdin ends a lingering ssh session; an unreachable host is given up on
    const gaveUp = killed.then(async () => {
      process.detach()
      await new Promise(resolve => { timer = setTimeout(resolve, graceMs) })
      process.abandon()
    })
    await Promise.race([this.exited, gaveUp])
    clearTimeout(timer)
    return await this.exited
  }

  /** A one-line description of how it ended (`exit code 1`, `killed by SIGKILL`, `connection lost`). */
  describeExit (): string {
    const exit = this.exit
    if (exit == null) return 'running'
    if (exit.lost === true) return 'the SSH connection to its host was lost'
    if (exit.signal != null) return `killed by ${exit.signal}`
    return exit.code == null ? 'ended' : `exit code ${exit.code}`
  }
}
