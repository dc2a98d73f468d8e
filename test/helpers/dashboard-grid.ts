/**
 * A real grid for dashboard and metrics tests: a Coordinator in this process (library API) listening on
 * loopback, with the page server (`http`: the dashboard, /metrics) and N spawned grid-worker processes,
 * ready to run an example flow whose sink items are kept in memory.
 */
import { join } from 'node:path'
import { decodeValue } from '../../core/codec.js'
import type { SinkWriter } from '../../core/run/flow-run.js'
import { Coordinator } from '../../node-peer/coordinator/coordinator.js'
import { loadFlowPlan } from '../../node-peer/coordinator/flow-plan.js'
import type { HostedRun } from '../../node-peer/coordinator/hosted-run.js'
import { copyExample } from './example-copy.js'

export interface DashboardGrid {
  readonly coordinator: Coordinator
  /** The page server's base URL, e.g. http://127.0.0.1:1234/ */
  readonly url: string
  /** The coordinator's address for workers (a grid-worker's `--bootstrap`, with /p2p/). */
  readonly address: string
  readonly run: HostedRun
  /** Sink name → decoded items. */
  readonly items: Map<string, unknown[]>
}

export interface DashboardGridInit {
  readonly example: string
  readonly spawn: number
  readonly submitSecret?: string
}

/** Starts the coordinator (its spawned workers join when the run starts), runs `body`, always stops it. */
export async function withDashboardGrid<T> (init: DashboardGridInit, body: (grid: DashboardGrid) => Promise<T>): Promise<T> {
  const dir = await copyExample(init.example)
  const items = new Map<string, unknown[]>()
  const coordinator = new Coordinator({
    openSink: async spec => {
      const got: unknown[] = []
      items.set(spec.name, got)
      const writer: SinkWriter = { keepsWrites: true, async write (batch) { for (const b of batch) got.push(decodeValue(b)) }, async close () {} }
      return writer
    }
  })
  let url: string | undefined
  let address: string | undefined
  coordinator.addEventListener('page:serving', evt => { url = evt.detail.urls[0] })
  coordinator.addEventListener('network:listening', evt => { address = evt.detail.joinAddress })
  try {
    const run = await coordinator.prepare(await loadFlowPlan(join(dir, 'flow.json')))
    await coordinator.start({ workers: 0, network: { listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'], http: 0, spawn: { count: init.spawn }, submitSecret: init.submitSecret } })
    if (url == null || address == null) throw new Error('the coordinator did not report its page URL and address')
    return await body({ coordinator, url, address, run, items })
  } finally {
    await coordinator.stop()
  }
}

/** Prometheus text format → value by `name{labels}` exactly as exposed (`name` alone without labels). */
export function parseMetrics (text: string): Map<string, number> {
  const values = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    values.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return values
}

/** Polls `probe` every 100 ms until it returns a value (bounded by `ms`). */
export async function until<T> (probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const value = await probe()
    if (value !== undefined) return value
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}
