/**
 * `startGrid`: a standing coordinator in this process, with embedded worker threads, that volunteers may join
 * and other programs may submit to; this program submits to it through the same client as `connect` (over
 * loopback), so a flow run here and one run on a remote grid take one code path.
 */
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Coordinator } from '../coordinator/coordinator.js'
import { RunStore } from '../coordinator/submit/run-store.js'
import type { NetworkListening } from '../coordinator/events.js'
import { Terminal } from '../cli/terminal.js'
import { openSink } from '../sinks/open-sink.js'
import { GridUsageError } from './errors.js'
import { Grid, openClient } from './grid.js'

export interface StartGridOptions {
  /** Worker threads in this process (0: none, volunteers only). Default: the CPU count. */
  readonly workers?: number
  /** Multiaddrs to listen on. Default: loopback only, a free port (`/ip4/127.0.0.1/tcp/0`). */
  readonly listen?: readonly string[]
  /** The join secret volunteers must prove (`grid-worker --secret`). */
  readonly secret?: string
  /** The secret other programs prove to submit (`connect(addr, { submitSecret })`). Default: a random one (`grid.submitSecret`). */
  readonly submitSecret?: string
  /** Serve the browser worker page on this port. */
  readonly http?: number
  /** Announce the coordinator by mDNS on the local network. */
  readonly mdns?: boolean
  /** The coordinator's key file (its peer id). Default: a fresh one in a temporary folder. */
  readonly identity?: string
  /** Keep runs (submission and journal) in this folder: a coordinator started again on it resumes them. */
  readonly state?: string
  /** Receives the coordinator's log lines (joins, runs, notes); default: none. */
  readonly log?: (line: string) => void
}

/** An in-process grid: a `Grid` that also owns its coordinator. */
export interface LocalGrid extends Grid {
  /** The secret other programs need to submit here. */
  readonly submitSecret: string
  /** The command a volunteer runs to join (`npx grid-worker --bootstrap …`). */
  readonly joinCommand: string
}

/** Starts a coordinator in this process and connects to it; `grid.stop()` stops both. */
export async function startGrid (options: StartGridOptions = {}): Promise<LocalGrid> {
  const workers = options.workers ?? availableParallelism()
  if (!Number.isInteger(workers) || workers < 0) throw new GridUsageError(`startGrid: workers must be a whole number ≥ 0, got ${String(workers)}`)
  const submitSecret = options.submitSecret ?? randomBytes(16).toString('hex')
  const terminal = new Terminal()
  // a standing coordinator writes no sink of its own: every run's sinks are its client's (this program)
  const coordinator = new Coordinator({ openSink: async (sink, resume) => await openSink(sink, terminal, resume) })
  let listening: NetworkListening | undefined
  coordinator.addEventListener('network:listening', ({ detail }) => { listening = detail })
  if (options.log != null) {
    const log = options.log
    coordinator.addEventListener('log', ({ detail }) => { log(detail.message) })
    coordinator.addEventListener('worker:joined', ({ detail }) => { log(`+ ${detail.id} joined`) })
    coordinator.addEventListener('worker:left', ({ detail }) => { log(`- ${detail.id} left`) })
  }
  try {
    await coordinator.start({
      workers,
      network: { listen: [...(options.listen ?? ['/ip4/127.0.0.1/tcp/0'])], mdns: options.mdns === true, identity: options.identity, secret: options.secret, http: options.http },
      serve: { secret: submitSecret, allowed: new Set(), store: options.state != null ? new RunStore(options.state) : undefined },
      standing: true
    })
    const tcp = listening?.addresses.filter(a => a.includes('/tcp/') && !a.includes('/ws')) ?? []
    const address = tcp.find(a => /^\/ip4\/127\./.test(a)) ?? tcp[0] ?? listening?.addresses[0]
    if (address == null) throw new GridUsageError(`startGrid: the coordinator listens on no TCP address (listen: ${(options.listen ?? []).join(', ')}); give a /tcp/ multiaddr`)
    const { client, cleanup } = await openClient(address, { submitSecret })
    const grid = new Grid(client, address, coordinator, async () => {
      await cleanup()
      await coordinator.stop()
    })
    return Object.assign(grid, { submitSecret, joinCommand: listening!.joinCommand })
  } catch (err) {
    await coordinator.stop()
    throw err
  }
}
