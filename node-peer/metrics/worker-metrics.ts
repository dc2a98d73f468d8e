/**
 * `grid-worker --metrics PORT`: the worker's own Prometheus metrics. Job counts and bytes are read from the
 * worker's counters when scraped; durations are observed per finished batch (job-durations.ts).
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import { JobDurations } from './job-durations.js'
import type { TrafficCounter } from '../../core/protocol/frame-channel.js'

export interface WorkerMetricsComponents {
  readonly stats: () => { readonly jobsDone: number, readonly jobsFailed: number, readonly jobsRecalled?: number, readonly busyMs: number }
  readonly traffic: Readonly<TrafficCounter>
  readonly threads: () => number
  readonly connected: () => boolean
}

export class WorkerMetrics {
  readonly registry = new Registry()
  private readonly durations: JobDurations

  constructor (components: WorkerMetricsComponents) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    new Counter({
      name: 'edge_grid_worker_jobs_total',
      help: 'Jobs this worker ran, by outcome (done: a result was returned; failed: the function failed; recalled: dropped or stopped because their run ended)',
      labelNames: ['outcome'] as const,
      registers,
      collect () {
        const s = components.stats()
        this.reset()
        this.inc({ outcome: 'done' }, s.jobsDone)
        this.inc({ outcome: 'failed' }, s.jobsFailed)
        this.inc({ outcome: 'recalled' }, s.jobsRecalled ?? 0)
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
    this.durations = new JobDurations(this.registry, 'Time a job ran on a thread (a batch\'s time shared out over its jobs)')
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
    this.durations.batchDone(jobs, busyMs)
  }

  async scrape (): Promise<{ readonly body: string, readonly contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType }
  }
}
