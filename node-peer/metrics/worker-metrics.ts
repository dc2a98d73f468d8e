/**
 * `grid-worker --metrics PORT`: the worker's own Prometheus metrics. Job counts and bytes are read from the
 * worker's counters when scraped; durations are observed per finished batch (its time on a thread, shared
 * out evenly over its jobs: a batch of tiny jobs is timed as a whole, not job by job).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { TrafficCounter } from '../../core/protocol/frame-channel.js'

export interface WorkerMetricsComponents {
  readonly stats: () => { readonly jobsDone: number, readonly jobsFailed: number, readonly busyMs: number }
  readonly traffic: Readonly<TrafficCounter>
  readonly threads: () => number
  readonly connected: () => boolean
}

/** From 100 µs (tiny jobs) to a minute (heavy ones). */
export const DURATION_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60]

export class WorkerMetrics {
  readonly registry = new Registry()
  private readonly durations: Histogram

  constructor (components: WorkerMetricsComponents) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    new Counter({
      name: 'edge_grid_worker_jobs_total',
      help: 'Jobs this worker ran, by outcome (done: a result was returned; failed: the function failed)',
      labelNames: ['outcome'] as const,
      registers,
      collect () {
        const s = components.stats()
        this.reset()
        this.inc({ outcome: 'done' }, s.jobsDone)
        this.inc({ outcome: 'failed' }, s.jobsFailed)
      }
    })
    new Counter({
      name: 'edge_grid_worker_busy_seconds_total',
      help: 'Time this worker\'s threads spent running jobs',
      registers,
      collect () {
        this.reset()
        this.inc(components.stats().busyMs / 1000)
      }
    })
    this.durations = new Histogram({
      name: 'edge_grid_job_duration_seconds',
      help: 'Time a job ran on a thread (a batch\'s time shared out over its jobs)',
      buckets: DURATION_BUCKETS,
      registers
    })
    new Counter({
      name: 'edge_grid_bytes_total',
      help: 'Bytes on the job stream (jobs, results, their framing): in = received from the coordinator, out = sent to it',
      labelNames: ['direction'] as const,
      registers,
      collect () {
        this.reset()
        this.inc({ direction: 'in' }, components.traffic.in)
        this.inc({ direction: 'out' }, components.traffic.out)
      }
    })
    new Gauge({
      name: 'edge_grid_worker_threads',
      help: 'Jobs this worker runs at once',
      registers,
      collect () { this.set(components.threads()) }
    })
    new Gauge({
      name: 'edge_grid_worker_connected',
      help: '1 while this worker has a job session with a coordinator',
      registers,
      collect () { this.set(components.connected() ? 1 : 0) }
    })
  }

  /** A batch finished: `jobs` jobs (some failed) in `busyMs` on one thread. */
  batchDone (jobs: number, busyMs: number): void {
    if (jobs <= 0) return
    const each = busyMs / jobs / 1000
    for (let i = 0; i < jobs; i++) this.durations.observe(each)
  }

  async scrape (): Promise<{ readonly body: string, readonly contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType }
  }
}
