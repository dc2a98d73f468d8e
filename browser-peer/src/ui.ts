/**
 * The page's view: finds its elements once, renders figures on a timer, and turns clicks into calls on the
 * controller it is given. No framework: a handful of elements whose text changes.
 */
import { plural } from '../../core/util/plural.js'
import type { DonorState } from './donor.js'
import { fitCanvas, formatDuration, formatRate } from './format.js'

export interface ViewFigures {
  readonly coordinator: string | undefined
  readonly flow: string | undefined
  readonly jobsDone: number
  readonly jobsPerSecond: number
  readonly busyMs: number
  readonly peersSeen: number
  readonly tabPeers: number
  readonly modulesFromTabs: number
  readonly threads: number
}

export interface ViewActions {
  toggle: () => void
  threads: (n: number) => void
}

const STATE_TEXT: Record<DonorState | 'error', string> = {
  connecting: 'Connecting…',
  joining: 'Joining…',
  donating: 'Donating',
  pausing: 'Finishing jobs…',
  paused: 'Paused',
  reconnecting: 'Reconnecting…',
  error: 'Error'
}
const MAX_LOG_LINES = 300
const CHART_SECONDS = 120
/**
 * After a reset (the flow ended, the session closed, the tab paused) the donor's rate still holds the last
 * seconds of the old flow (its window is 5 s, donor.ts RATE_WINDOW_MS): for this long the shown rate counts
 * only jobs done since the reset. Twice that window, so the donor's figure is clean again when it ends.
 */
const RATE_RESET_HOLD_MS = 10_000

/** What the switch's hint says: what the switch does now, in the state the tab is in. */
export function donateHint (state: DonorState | 'error', donating: boolean): string {
  if (state === 'error') return 'This tab could not start: see the log.'
  if (state === 'pausing') return 'Pausing: finishing the jobs this tab holds, then leaving.'
  if (!donating) return 'Turn on to run jobs for the coordinator in background threads.'
  if (state === 'donating') return 'Donating: turn off to stop (jobs in progress finish first).'
  return 'On: donating as soon as the coordinator answers. Turn off to stop.'
}

function element<T extends HTMLElement> (id: string): T {
  const el = document.getElementById(id)
  if (el == null) throw new Error(`page element #${id} is missing`)
  return el as T
}

export class View {
  private readonly status = element('status')
  private readonly donate = element<HTMLButtonElement>('donate')
  private readonly donateLabel = element('donate-label')
  private readonly donateHint = element('donate-hint')
  private readonly threadsValue = element<HTMLOutputElement>('threads-value')
  private readonly threadsDown = element<HTMLButtonElement>('threads-down')
  private readonly threadsUp = element<HTMLButtonElement>('threads-up')
  private readonly threadsHint = element('threads-hint')
  private readonly log = element<HTMLOListElement>('log')
  private readonly fields = {
    coordinator: element('coordinator'),
    flow: element('flow'),
    jobsDone: element('jobs-done'),
    jobsRate: element('jobs-rate'),
    cpuTime: element('cpu-time'),
    peersSeen: element('peers-seen'),
    tabPeers: element('tab-peers'),
    tabModules: element('tab-modules')
  }

  private readonly chart = element<HTMLCanvasElement>('chart')
  private readonly chartPeak = element('chart-peak')
  /** jobs finished in each of the last CHART_SECONDS seconds, oldest first */
  private readonly history: number[] = []
  private lastJobs: number | undefined
  private threads = 1
  /** jobs done and time of the last rate reset, while RATE_RESET_HOLD_MS runs */
  private rateReset: { jobs: number, at: number } | undefined

  constructor (private readonly cores: number, private readonly maxThreads: number, actions: ViewActions) {
    this.donate.addEventListener('click', () => { actions.toggle() })
    this.threadsDown.addEventListener('click', () => { actions.threads(this.threads - 1) })
    this.threadsUp.addEventListener('click', () => { actions.threads(this.threads + 1) })
    this.threadsHint.textContent = `This device reports ${plural(cores, 'logical core')}.`
  }

  setSelf (peerId: string): void {
    element('self').textContent = peerId
  }

  setState (state: DonorState | 'error', donating: boolean): void {
    this.status.dataset.state = state
    this.status.textContent = STATE_TEXT[state]
    this.donate.setAttribute('aria-checked', String(donating))
    this.donateLabel.textContent = donating ? 'Donating' : 'Paused'
    this.donateHint.textContent = donateHint(state, donating)
  }

  /**
   * The flow ended or no more jobs can come (paused, session closed): jobs/s shows 0 at once, then counts
   * only jobs done after `jobsDone` (the total now), instead of the old flow's last seconds.
   */
  resetRate (jobsDone: number): void {
    this.rateReset = { jobs: jobsDone, at: performance.now() }
    this.fields.jobsRate.textContent = formatRate(0)
  }

  private shownRate (f: ViewFigures): number {
    const reset = this.rateReset
    if (reset === undefined) return f.jobsPerSecond
    const since = performance.now() - reset.at
    if (since > RATE_RESET_HOLD_MS) {
      this.rateReset = undefined
      return f.jobsPerSecond
    }
    // at most the jobs since the reset over the time since (at least 1 s: no burst of a few jobs as a rate)
    return Math.min(f.jobsPerSecond, Math.max(0, f.jobsDone - reset.jobs) / Math.max(1, since / 1000))
  }

  disable (): void {
    this.donate.disabled = true
    this.threadsDown.disabled = true
    this.threadsUp.disabled = true
  }

  render (f: ViewFigures): void {
    this.threads = f.threads
    this.threadsValue.value = String(f.threads)
    this.threadsDown.disabled = f.threads <= 1
    this.threadsUp.disabled = f.threads >= this.maxThreads
    this.fields.coordinator.textContent = f.coordinator != null ? `…${f.coordinator.slice(-10)}` : '–'
    this.fields.flow.textContent = f.flow != null ? `· ${f.flow}` : ''
    this.fields.jobsDone.textContent = f.jobsDone.toLocaleString('en-US')
    this.fields.jobsRate.textContent = formatRate(this.shownRate(f))
    this.fields.cpuTime.textContent = formatDuration(f.busyMs)
    this.fields.peersSeen.textContent = String(f.peersSeen)
    this.fields.tabPeers.textContent = String(f.tabPeers)
    this.fields.tabModules.textContent = String(f.modulesFromTabs)
  }

  /** Called once a second with the running total of jobs done: adds a bar to the chart. */
  sample (jobsDone: number): void {
    const delta = this.lastJobs == null ? 0 : Math.max(0, jobsDone - this.lastJobs)
    this.lastJobs = jobsDone
    this.history.push(delta)
    if (this.history.length > CHART_SECONDS) this.history.shift()
    this.drawChart()
  }

  private drawChart (): void {
    const fitted = fitCanvas(this.chart)
    if (fitted == null) return
    const { ctx, width, height, ratio } = fitted
    const peak = Math.max(1, ...this.history)
    this.chartPeak.textContent = this.history.some(v => v > 0) ? `peak ${formatRate(peak)}/s` : ''
    const slot = width / CHART_SECONDS
    const bar = Math.max(1, slot - Math.max(1, ratio))
    const pad = 4 * ratio
    const style = getComputedStyle(this.chart)
    ctx.fillStyle = style.getPropertyValue('--line').trim() || '#e4e7ef'
    ctx.fillRect(0, height - ratio, width, ratio) // baseline
    ctx.fillStyle = style.getPropertyValue('--accent').trim() || '#4f46e5'
    const offset = CHART_SECONDS - this.history.length
    this.history.forEach((v, i) => {
      if (v <= 0) return
      const h = Math.max(ratio, (height - pad) * v / peak)
      ctx.fillRect((offset + i) * slot, height - h, bar, h)
    })
  }

  append (line: string): void {
    const item = document.createElement('li')
    const time = document.createElement('time')
    const now = new Date()
    time.textContent = now.toTimeString().slice(0, 8)
    const text = document.createElement('span')
    text.textContent = line
    item.append(time, text)
    const atBottom = this.log.scrollTop + this.log.clientHeight >= this.log.scrollHeight - 8
    this.log.append(item)
    while (this.log.childElementCount > MAX_LOG_LINES) this.log.firstElementChild?.remove()
    if (atBottom) this.log.scrollTop = this.log.scrollHeight
  }
}

