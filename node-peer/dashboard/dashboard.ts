/**
 * The dashboard and /metrics of a coordinator served with `--http`: the grid model (from the coordinator's
 * events and progress), the live feed to viewers, the control path (cancel, for viewers who prove the
 * submit secret) and the Prometheus registry. `routes` plugs them into the page server; the page itself is
 * browser-peer/dashboard.html (served at /dashboard).
 *
 *   GET  /dashboard/events      Server-Sent Events: one snapshot (core/dashboard/snapshot.ts) per push
 *   POST /dashboard/challenge   a one-time nonce for a control proof
 *   POST /dashboard/control     { action, runId, nonce, proof }: unlock (check the secret) or cancel a run
 *   GET  /metrics               Prometheus text format
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RunProgress } from '../../core/run/flow-run.js'
import type { CoordinatorEventTarget } from '../coordinator/events.js'
import { CoordinatorMetrics } from '../metrics/coordinator-metrics.js'
import { DashboardControl } from './control.js'
import { DashboardFeed } from './feed.js'
import { GridModel } from './grid-model.js'
import { buildSnapshot } from './snapshot-builder.js'

/** What the dashboard uses of a Coordinator: its events and public methods, nothing else. */
export interface DashboardHost extends CoordinatorEventTarget {
  progress: (runId: string) => RunProgress | undefined
  cancel: (runId: string) => boolean
  traffic: () => { readonly in: number, readonly out: number }
}

export interface DashboardInit {
  readonly coordinator: DashboardHost
  /** Viewers who prove it may cancel runs (absent: read-only). */
  readonly submitSecret?: string
  /** The coordinator's embedded threads. */
  readonly embeddedThreads?: number
}

export class Dashboard {
  readonly model: GridModel
  readonly metrics: CoordinatorMetrics
  private readonly feed: DashboardFeed
  private readonly control: DashboardControl

  constructor (init: DashboardInit) {
    const { coordinator } = init
    this.model = new GridModel({ events: coordinator, progress: runId => coordinator.progress(runId) }, { embeddedThreads: init.embeddedThreads })
    this.control = new DashboardControl(init.submitSecret, {
      cancel: runId => coordinator.cancel(runId),
      note: text => { this.model.note('refusal', text) }
    })
    this.feed = new DashboardFeed({
      tick: () => { this.model.tick() },
      snapshot: () => buildSnapshot(this.model, { control: this.control.enabled })
    })
    this.metrics = new CoordinatorMetrics({ model: this.model, traffic: () => coordinator.traffic(), events: coordinator })
  }

  /** The page server's hook: answers the dashboard's endpoints and /metrics. */
  readonly routes = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://dashboard.invalid').pathname
    switch (path) {
      case '/dashboard/events':
        this.feed.serve(req, res)
        return true
      case '/dashboard/challenge':
        await this.control.challenge(req, res)
        return true
      case '/dashboard/control':
        await this.control.control(req, res)
        return true
      case '/metrics': {
        const { body, contentType } = await this.metrics.scrape()
        res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' })
        res.end(req.method === 'HEAD' ? undefined : body)
        return true
      }
      default:
        return false
    }
  }

  close (): void {
    this.feed.close()
    this.model.close()
  }
}
