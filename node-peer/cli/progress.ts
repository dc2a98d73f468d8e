/**
 * Progress of a run for people: on a TTY a live status line (bar when the input size is known, jobs done,
 * rate, elapsed, workers), otherwise a plain line every few seconds so logs stay readable. Counts are
 * singular or plural (`1 worker`), and the rate appears only once it means something (MIN_RATE_WINDOW_MS).
 */
import type { RunProgress } from '../../core/run/flow-run.js'
import { noun, plural } from '../../core/util/plural.js'
import type { Terminal } from './terminal.js'

const TTY_INTERVAL_MS = 100
const PLAIN_INTERVAL_MS = 5000
const BAR_WIDTH = 24

/**
 * No rate is shown before jobs have been counted over at least this long. Results come back in batches
 * (about 20 ms of work each, core/worker/batch-sizer.ts, more when they cross the network), and the first
 * ones also carry module compilation and warm-up: over a 100 ms frame the count jumps by whole batches or
 * not at all, so a rate from the first frames ("3.1M/s" after 2 jobs) measures batch boundaries, not
 * throughput. Over a second, each busy worker returns dozens of batches and the figure settles. Counting
 * starts with the first result, not with the display: time spent waiting for workers is not a rate.
 */
export const MIN_RATE_WINDOW_MS = 1000
/** After that, the rate is smoothed: updated at most this often, half old value, half the latest interval. */
const RATE_UPDATE_MS = 500
/** Shown in place of the rate until there is one. */
export const NO_RATE = '–/s'

export function formatCount (n: number): string {
  return n.toLocaleString('en-US')
}

/**
 * Jobs per second from a running total sampled now and then (`now` in ms, any monotonic clock): undefined
 * until jobs have been counted for MIN_RATE_WINDOW_MS, then a smoothed rate that decays when jobs stop.
 */
export class RateMeter {
  /** The last sample before the first counted job: where the first window starts. */
  private origin: { at: number, total: number } | undefined
  private last: { at: number, total: number } | undefined
  private rate: number | undefined

  constructor (private readonly minWindowMs = MIN_RATE_WINDOW_MS) {}

  sample (total: number, now: number): number | undefined {
    if (this.origin === undefined || (this.last === undefined && total === this.origin.total)) {
      this.origin = { at: now, total } // nothing counted yet: the window starts here at the earliest
      return undefined
    }
    if (this.last === undefined) {
      const span = now - this.origin.at
      if (span < this.minWindowMs) return undefined
      this.rate = (total - this.origin.total) / (span / 1000)
      this.last = { at: now, total }
      return this.rate
    }
    const dt = now - this.last.at
    if (dt >= RATE_UPDATE_MS) {
      const recent = (total - this.last.total) / (dt / 1000)
      this.rate = (this.rate ?? recent) * 0.5 + recent * 0.5
      this.last = { at: now, total }
    }
    return this.rate
  }
}

/** `3.1k/s`, or NO_RATE while there is none yet. */
export function formatRateOrNone (perSecond: number | undefined): string {
  return perSecond === undefined ? NO_RATE : formatRate(perSecond)
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
  return `${noun(parts.length, 'cluster')} ${parts.join(', ')}`
}

/** What the progress line shows of a run: its totals (a submitted run's client gets only these). */
export type ProgressTotals = Pick<RunProgress, 'jobsDone' | 'jobsOut' | 'queued' | 'sourceFraction' | 'clusters'>

export interface ProgressFrame {
  readonly flowName: string
  readonly progress: ProgressTotals
  /** jobs per second, undefined while not meaningful yet (RateMeter) */
  readonly rate: number | undefined
  readonly elapsedMs: number
  readonly workers: number
  /** with the bar (a TTY status line) or without (a plain log line) */
  readonly tty: boolean
}

/** `mandelbrot │ ████░░ 42% read │ 1,024 jobs │ 3.1k/s │ 0.3s │ 1 worker` */
export function formatProgress (f: ProgressFrame): string {
  const p = f.progress
  const parts: string[] = []
  if (p.sourceFraction != null) {
    const filled = Math.round(p.sourceFraction * BAR_WIDTH)
    const bar = f.tty ? `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} ` : ''
    parts.push(`${bar}${(p.sourceFraction * 100).toFixed(0).padStart(3)}% read`)
  }
  parts.push(plural(p.jobsDone, 'job'), formatRateOrNone(f.rate), formatDuration(f.elapsedMs), plural(f.workers, 'worker'))
  if (p.clusters != null) parts.push(formatClusters(p.clusters))
  return `${f.flowName} │ ${parts.join(' │ ')}`
}

export class ProgressDisplay {
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly started: number
  private readonly meter = new RateMeter()

  /** `now`: the clock (ms), injectable for tests. */
  constructor (
    private readonly terminal: Terminal,
    private readonly flowName: string,
    private readonly sample: () => ProgressTotals,
    private readonly workers: () => number,
    private readonly now: () => number = () => performance.now()
  ) {
    this.started = this.now()
  }

  start (): void {
    const tty = this.terminal.statusIsTty
    this.timer = setInterval(() => { this.render(tty) }, tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer != null) clearInterval(this.timer)
    this.terminal.clearStatus()
  }

  /** The line one frame shows now (each call is a frame: it feeds the rate meter). */
  frame (tty: boolean): string {
    const progress = this.sample()
    const now = this.now()
    const rate = this.meter.sample(progress.jobsDone, now)
    return formatProgress({ flowName: this.flowName, progress, rate, elapsedMs: now - this.started, workers: this.workers(), tty })
  }

  private render (tty: boolean): void {
    const line = this.frame(tty)
    if (tty) this.terminal.status(line)
    else this.terminal.log(`progress: ${line}`)
  }
}
