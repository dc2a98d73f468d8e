/**
 * `Grid`: what a program holds to run flows, on a standing coordinator it connected to (`connect`) or on one
 * it started in its own process (`startGrid`, start-grid.ts). Both talk to the coordinator through the same
 * client (node-peer/client: the submit protocol), so a flow behaves the same either way.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FlowSpec } from '../../core/flow/model.js'
import type { RunListing } from '../../core/protocol/submit-messages.js'
import type { ClientRunComponents } from '../client/client-run.js'
import { GridClient } from '../client/grid-client.js'
import { submitRun } from '../client/run-link.js'
import type { Coordinator } from '../coordinator/coordinator.js'
import { Terminal } from '../cli/terminal.js'
import { openSink } from '../sinks/open-sink.js'
import { openSource } from '../sources.js'
import type { CodeSource } from './code-sources.js'
import { GridUsageError, RunCancelledError } from './errors.js'
import type { FlowInput } from './flow-input.js'
import { prepareFlow } from './flow-input.js'
import { GridRun } from './grid-run.js'
import { ResultStream } from './result-stream.js'
import { mapOnGrid } from './map.js'
import type { MapFunction, MapOptions } from './map.js'

export interface ConnectOptions {
  /** The coordinator's submit secret (its `--submit-secret`); default EDGE_GRID_SUBMIT_SECRET. */
  readonly submitSecret?: string
  /**
   * The key file of this client's peer id (only it may attach to its runs). Default: a fresh identity in a
   * temporary folder, removed by `stop()`.
   */
  readonly identity?: string
  /** How long to keep trying to reach the coordinator again after losing it (default 5 minutes). */
  readonly reconnectMs?: number
}

export interface GridRunOptions {
  /** Cancels the run when aborted (`done` rejects with RunCancelledError). */
  readonly signal?: AbortSignal
  /** Weight in the fair share of workers among the runs going on (1–100, default 1). */
  readonly priority?: number
  /** Keep the run going on the coordinator when this program goes away. */
  readonly detach?: boolean
  /** Items of the flow's `{ "type": "client" }` sources, by source name: arrays, generators, any (async) iterable. */
  readonly sources?: Readonly<Record<string, CodeSource>>
  /**
   * Sinks written here as the command line writes them (files beside the flow, stdout lines) instead of
   * being delivered to code. Every other sink must be read with `run.results(name)`: its writes wait for the reader.
   */
  readonly local?: readonly string[]
  /** The folder a flow object's relative paths resolve against (default: the current directory). */
  readonly dir?: string
}

export class Grid {
  private readonly runs = new Set<GridRun>()
  private readonly terminal = new Terminal()

  /** @internal use `connect` or `startGrid` */
  constructor (
    private readonly client: GridClient,
    /** The coordinator's address (a multiaddr ending in /p2p/<peer id>): give it to other programs and volunteers' `--bootstrap`. */
    readonly address: string,
    /** The coordinator, when this grid runs in this process (`startGrid`). */
    readonly coordinator: Coordinator | undefined,
    private readonly cleanup: () => Promise<void>
  ) {}

  /** This program's peer id as the coordinator knows it. */
  get peerId (): string {
    return this.client.peerId
  }

  /**
   * Submits a flow and resolves once the coordinator accepted it. `flow`: a flow.json path or a flow object
   * (validated here first: FlowValidationError names the file and the JSON path). Rejects with
   * SubmitRefusedError / SubmittedFlowInvalidError / GridUnreachableError from the coordinator.
   */
  async run (flow: FlowInput, options: GridRunOptions = {}): Promise<GridRun> {
    if (options.signal?.aborted === true) throw new RunCancelledError('the run\'s signal was aborted before it was submitted')
    const { submission, feeds } = await prepareFlow(flow, options.sources, options.dir)
    const { spec } = submission.plan
    const local = new Set(options.local ?? [])
    for (const name of local) {
      if (spec.sinks[name] == null) throw new GridUsageError(`run options' local names sink "${name}", which flow "${spec.name}" does not have`)
    }
    let run: GridRun | undefined
    const streams = new Map<string, ResultStream>()
    for (const name of Object.keys(spec.sinks)) {
      if (!local.has(name)) streams.set(name, new ResultStream(name, () => { run?.cancel() }))
    }
    const components = (s: FlowSpec): ClientRunComponents => ({
      spec: s,
      openSource: source => feeds.get(source.name)?.cursor() ?? openSource(source),
      openSink: async (name, resume) => streams.get(name)?.writer() ?? await openSink(s.sinks[name], this.terminal, resume)
    })
    let client
    try {
      client = await submitRun(this.client, submission, { priority: options.priority, detach: options.detach }, components)
    } catch (err) {
      await Promise.all([...feeds.values()].map(async f => { await f.close() })) // a generator's `finally` runs
      throw err
    }
    run = new GridRun(client, streams, feeds, options.signal)
    this.runs.add(run)
    const ran = run
    void run.done.finally(() => { this.runs.delete(ran) }).catch(() => {})
    return run
  }

  /**
   * Runs `fn` over `inputs` (an array, a generator, any async iterable) on the grid and yields the results
   * in input order as they complete: `for await (const y of grid.map({ wasm: 'fn.wasm', export: 'f' }, xs))`.
   * Inputs are pulled as the grid takes them. Leaving the loop early cancels the run.
   */
  map (fn: MapFunction, inputs: CodeSource, options: MapOptions = {}): AsyncGenerator<unknown, void, undefined> {
    return mapOnGrid(async (flow, runOptions) => await this.run(flow, runOptions), fn, inputs, options)
  }

  /** This program's runs on the coordinator (state, progress, when submitted). */
  async list (): Promise<RunListing[]> {
    return await this.client.list()
  }

  /**
   * Disconnects, or stops the in-process coordinator. Runs still going end here with RunCancelledError (a
   * detached run goes on on a standing coordinator).
   */
  async stop (): Promise<void> {
    await Promise.all([...this.runs].map(async r => { await r.abandon('the grid was stopped') }))
    await this.client.stop()
    await this.cleanup()
  }
}

/** Connects to a standing coordinator (`grid-coordinator serve`) at `address` (the multiaddr it prints). */
export async function connect (address: string, options: ConnectOptions = {}): Promise<Grid> {
  const { client, cleanup } = await openClient(address, options)
  return new Grid(client, address, undefined, cleanup)
}

/** @internal a client that reached the coordinator and proved the secret, and what removes its scratch identity. */
export async function openClient (address: string, options: ConnectOptions): Promise<{ client: GridClient, cleanup: () => Promise<void> }> {
  const scratch = options.identity == null ? await mkdtemp(join(tmpdir(), 'edge-grid-client-')) : undefined
  const cleanup = async (): Promise<void> => { if (scratch != null) await rm(scratch, { recursive: true, force: true }) }
  try {
    const client = await GridClient.connect({
      grid: address,
      identity: options.identity ?? join(scratch!, 'client.key'),
      submitSecret: options.submitSecret ?? process.env.EDGE_GRID_SUBMIT_SECRET,
      ...(options.reconnectMs != null ? { reconnectMs: options.reconnectMs } : {})
    })
    try {
      await client.list() // reaches the coordinator and proves the secret now: a wrong address or secret fails here
    } catch (err) {
      await client.stop()
      throw err
    }
    return { client, cleanup }
  } catch (err) {
    await cleanup()
    throw err
  }
}
