/**
 * The coordinator's Prometheus metrics (`/metrics` next to the dashboard), with prom-client. Everything but
 * job durations is read when scraped, from the same grid model the dashboard shows (progress through the
 * coordinator's public methods); durations are observed per results message, with the batch time the worker
 * sends (job-durations.ts). Counters sum the runs that ended and the runs going on, so they only grow.
 * Standard process metrics (`process_cpu_seconds_total`, …) come from prom-client.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { GridModel } from '../dashboard/grid-model.js'
import { outcomesOf } from '../dashboard/grid-model.js'
import type { CoordinatorEventTarget } from '../coordinator/events.js'
import { JobDurations } from './job-durations.js'
import type { StageProgress } from '../../core/run/run-progress.js'

export interface CoordinatorMetricsComponents {
  readonly model: GridModel
  /** Bytes received and sent on job streams. */
  readonly traffic: () => { readonly in: number, readonly out: number }
  /** The coordinator's events: each `worker:batch` is timed. */
  readonly events: Pick<CoordinatorEventTarget, 'addEventListener'>
}

export class CoordinatorMetrics {
  readonly registry = new Registry()

  constructor ({ model, traffic, events }: CoordinatorMetricsComponents) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    // each scrape reads the live runs once, before the collectors below run
    let fresh = false
    const refresh = (): void => {
      if (fresh) return
      fresh = true
      model.refresh()
      queueMicrotask(() => { fresh = false })
    }
    new Counter({
      name: 'edge_grid_jobs_total',
      help: 'Jobs by outcome: done (accepted), failed (on every attempt), retried (attempts that failed and were run again), replayed (taken from the journal on a resume)',
      labelNames: ['flow', 'stage', 'outcome'] as const,
      registers,
      collect () {
        refresh()
        const totals = new Map(model.endedTotals)
        for (const run of model.live()) {
          for (const [stage, counts] of Object.entries(run.progress?.stages ?? {})) {
            for (const [outcome, n] of outcomesOf(counts)) {
              const key = `${run.flow}\0${stage}\0${outcome}`
              totals.set(key, (totals.get(key) ?? 0) + n)
            }
          }
        }
        this.reset()
        for (const [key, n] of totals) {
          const [flow, stage, outcome] = key.split('\0')
          this.inc({ flow, stage, outcome }, n)
        }
      }
    })
    // per stage of the runs going on: work waiting in its queue, and jobs out with workers
    const stageGauge = (name: string, help: string, value: (stage: StageProgress) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['flow', 'stage'] as const,
        registers,
        collect () {
          refresh()
          this.reset()
          for (const run of model.live()) {
            for (const [stage, s] of Object.entries(run.progress?.stages ?? {})) this.inc({ flow: run.flow, stage }, value(s))
          }
        }
      })
    }
    stageGauge('edge_grid_queue_depth', 'Work waiting in a stage\'s queue, for the runs going on', s => s.queued)
    stageGauge('edge_grid_jobs_in_flight', 'Jobs out with workers now, per stage, for the runs going on', s => s.inFlight)
    const durations = new JobDurations(this.registry, 'Time a job ran on a worker\'s thread, as the worker reports it with each batch of results (the batch\'s time shared out over its jobs)')
    events.addEventListener('worker:batch', evt => { durations.batchDone(evt.detail.jobs, evt.detail.busyMs) })
    new Gauge({
      name: 'edge_grid_workers',
      help: 'Workers connected now: grid-worker processes, browser tabs, and the coordinator\'s embedded threads (one worker)',
      labelNames: ['kind'] as const,
      registers,
      collect () {
        this.reset()
        for (const kind of ['process', 'tab', 'embedded'] as const) this.set({ kind }, 0)
        for (const w of model.workers.values()) if (w.connected) this.inc({ kind: w.kind })
      }
    })
    new Gauge({
      name: 'edge_grid_worker_threads',
      help: 'Threads of the connected workers (jobs they run at once)',
      registers,
      collect () {
        let threads = 0
        for (const w of model.workers.values()) if (w.connected) threads += w.threads
        this.set(threads)
      }
    })
    new Gauge({
      name: 'edge_grid_runs',
      help: 'Runs on this coordinator by phase (ended runs: the last few kept)',
      labelNames: ['phase'] as const,
      registers,
      collect () {
        this.reset()
        for (const phase of ['waiting', 'running'] as const) this.set({ phase }, 0)
        for (const run of model.runs.values()) this.inc({ phase: run.phase })
      }
    })
    new Counter({
      name: 'edge_grid_bytes_total',
      help: 'Bytes on job streams (jobs, results, their framing): in = received from workers, out = sent to them',
      labelNames: ['direction'] as const,
      registers,
      collect () {
        const t = traffic()
        this.reset()
        this.inc({ direction: 'in' }, t.in)
        this.inc({ direction: 'out' }, t.out)
      }
    })
  }

  /** The text exposition format, and its content type. */
  async scrape (): Promise<{ readonly body: string, readonly contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType }
  }
}
