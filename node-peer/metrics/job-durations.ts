/**
 * `edge_grid_job_duration_seconds`, the same on a worker and on its coordinator: observed per finished batch,
 * its time on a thread shared out evenly over its jobs (a batch of tiny jobs is timed as a whole, not job by
 * job: the worker measures batches, and the job protocol carries a batch's time with its results). A batch
 * costs O(1) whatever its size: its jobs share one value, recorded once with their count (batch-histogram.ts).
 */
import type { Registry } from 'prom-client'
import { BatchHistogram } from './batch-histogram.js'

/** From 100 µs (tiny jobs) to a minute (heavy ones). */
export const DURATION_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60]

export class JobDurations {
  private readonly histogram: BatchHistogram

  constructor (registry: Registry, help: string) {
    this.histogram = new BatchHistogram({ name: 'edge_grid_job_duration_seconds', help, buckets: DURATION_BUCKETS, registers: [registry] })
  }

  /** A batch finished: `jobs` jobs (some may have failed) in `busyMs` on one thread. */
  batchDone (jobs: number, busyMs: number): void {
    if (jobs <= 0) return
    this.histogram.observeMany(busyMs / jobs / 1000, jobs)
  }
}
