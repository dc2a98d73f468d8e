/**
 * A rate from a growing total sampled now and then: the change over the last few seconds. Samples older
 * than the window are dropped, so memory stays a handful of numbers whatever the sampling pace.
 */
export const RATE_WINDOW_MS = 5_000
/** Below this span the samples say nothing yet (a first batch is no rate). */
const MIN_SPAN_MS = 900

export class RateWindow {
  private readonly samples: Array<{ at: number, total: number }> = []
  private changedAt: number | undefined

  add (at: number, total: number): void {
    const last = this.samples[this.samples.length - 1]
    if (last != null && total !== last.total) this.changedAt = at
    this.samples.push({ at, total })
    while (this.samples.length > 2 && at - this.samples[1].at >= RATE_WINDOW_MS) this.samples.shift()
  }

  /** Per second over the window (0 until it spans about a second). */
  perSecond (): number {
    const first = this.samples[0]
    const last = this.samples[this.samples.length - 1]
    if (first == null || last == null || last.at - first.at < MIN_SPAN_MS) return 0
    return Math.max(0, (last.total - first.total) / ((last.at - first.at) / 1000))
  }

  /** Whether the total moved within `ms` of `now`. */
  changedWithin (now: number, ms: number): boolean {
    return this.changedAt != null && now - this.changedAt <= ms
  }
}
