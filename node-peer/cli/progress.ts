/**
 * Progress of a run for people: on a TTY a live status line (bar when the input size is known, jobs done,
 * rate, elapsed, workers), otherwise a plain line every few seconds so logs stay readable.
 */
import type { RunProgress } from '../../core/run/flow-run.js'
import type { Terminal } from './terminal.js'

const TTY_INTERVAL_MS = 100
const PLAIN_INTERVAL_MS = 5000
const BAR_WIDTH = 24

export function formatCount (n: number): string {
  return n.toLocaleString('en-US')
}

export function formatRate (perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M/s`
  if (perSecond >= 1e4) return `${(perSecond / 1e3).toFixed(1)}k/s`
  return `${perSecond.toFixed(perSecond < 10 ? 1 : 0)}/s`
}

export function formatDuration (ms: number): string {
  const s = Math.floor(ms / 1000)
  const m = Math.floor(s / 60)
  return m > 0 ? `${m}:${String(s % 60).padStart(2, '0')}` : `${(ms / 1000).toFixed(1)}s`
}

/** `cluster worker 2/2, gpu 1`: members now, over the declared size when there is one. */
export function formatClusters (clusters: NonNullable<RunProgress['clusters']>): string {
  const parts = Object.entries(clusters).map(([name, c]) => `${name} ${c.members.length}${c.size != null ? `/${c.size}` : ''}`)
  return `cluster${parts.length === 1 ? '' : 's'} ${parts.join(', ')}`
}

export class ProgressDisplay {
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly started = performance.now()
  private lastDone = 0
  private lastAt = this.started
  private rate = 0

  constructor (
    private readonly terminal: Terminal,
    private readonly flowName: string,
    private readonly sample: () => RunProgress,
    private readonly workers: () => number
  ) {}

  start (): void {
    const tty = this.terminal.statusIsTty
    this.timer = setInterval(() => { this.render(tty) }, tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer != null) clearInterval(this.timer)
    this.terminal.clearStatus()
  }

  private render (tty: boolean): void {
    const p = this.sample()
    const now = performance.now()
    const dt = now - this.lastAt
    if (dt >= 500 || this.rate === 0) {
      const instant = (p.jobsDone - this.lastDone) / (dt / 1000)
      this.rate = this.rate === 0 ? instant : this.rate * 0.5 + instant * 0.5
      this.lastDone = p.jobsDone
      this.lastAt = now
    }
    const parts: string[] = []
    if (p.sourceFraction != null) {
      const filled = Math.round(p.sourceFraction * BAR_WIDTH)
      const bar = tty ? `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} ` : ''
      parts.push(`${bar}${(p.sourceFraction * 100).toFixed(0).padStart(3)}% read`)
    }
    const workers = this.workers()
    parts.push(`${formatCount(p.jobsDone)} jobs`, formatRate(this.rate), formatDuration(now - this.started), `${workers} worker${workers === 1 ? '' : 's'}`)
    if (p.clusters != null) parts.push(formatClusters(p.clusters))
    const line = `${this.flowName} │ ${parts.join(' │ ')}`
    if (tty) this.terminal.status(line)
    else this.terminal.log(`progress: ${line}`)
  }
}
