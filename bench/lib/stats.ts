/** Summaries of repeated measurements: the median is the figure, min–max shows the noise. */

export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  /** Every run's value, in run order. */
  readonly runs: readonly number[]
}

export function summarize (values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize: no values')
  const sorted = [...values].sort((a, b) => a - b)
  return { median: median(sorted), min: sorted[0], max: sorted[sorted.length - 1], runs: [...values] }
}

/** Median of values sorted ascending. */
function median (sorted: readonly number[]): number {
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Nearest-rank percentile (p in 0..100) of values sorted ascending. */
export function percentile (sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile: no values')
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

/** a / b of two summaries, by medians; with per-run ratios when both have the same number of runs (paired, interleaved runs). */
export interface Ratio {
  readonly value: number
  readonly min?: number
  readonly max?: number
}

export function ratio (a: Summary, b: Summary): Ratio {
  const value = a.median / b.median
  if (a.runs.length !== b.runs.length) return { value }
  const paired = a.runs.map((x, i) => x / b.runs[i])
  return { value, min: Math.min(...paired), max: Math.max(...paired) }
}
