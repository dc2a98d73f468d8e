/** A small simulated grid for RunState tests: flow builders, simulated functions, several named workers. */
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { buildGraph } from '../../../core/flow/graph.js'
import type { ClusterSpec, FlowSpec, SinkSpec, SourceSpec, StageSpec } from '../../../core/flow/model.js'
import type { FunctionRef, Job, JobOutcome } from '../../../core/jobs.js'
import { RunState } from '../../../core/run/run-state.js'
import { withSideValue } from '../../../core/protocol/side-values.js'
import type { RunStateInit, SinkDelivery } from '../../../core/run/run-state.js'
import { perItem } from '../../helpers/chunk-jobs.js'
import { itemDeliveries } from '../../../core/run/router.js'

export type Fn = (input: any) => Array<[number, unknown]>

export function stage (name: string, fn: string, inputs: string[], extra: Partial<StageSpec> = {}): StageSpec {
  return { kind: 'map', name, function: fn, inputs, outputs: ['out'], timeoutMs: 1000, retries: 2, ...extra } as StageSpec
}

export function flow (sources: SourceSpec[], stages: StageSpec[], sinks: SinkSpec[], clusters: ClusterSpec[] = []): FlowSpec {
  const functions: Record<string, FlowSpec['functions'][string]> = {}
  for (const s of stages) functions[s.function] = { name: s.function, wasm: `${s.function}.wasm`, export: s.function }
  return {
    name: 'test',
    file: 'flow.json',
    functions,
    clusters: Object.fromEntries(clusters.map(c => [c.name, c])),
    sources: Object.fromEntries(sources.map(s => [s.name, s])),
    stages: Object.fromEntries(stages.map(s => [s.name, s])),
    sinks: Object.fromEntries(sinks.map(s => [s.name, s]))
  }
}

export function makeState (spec: FlowSpec, highWater?: number, journal?: Pick<RunStateInit, 'journal' | 'resume'>): RunState {
  const functions = new Map<string, FunctionRef>()
  for (const name of Object.keys(spec.functions)) functions.set(name, { module: `hash-${name}`, export: name })
  return new RunState({ spec, graph: buildGraph(spec), functions, highWater, ...journal })
}

export function execute (chunkOrJob: Job, fns: Record<string, Fn>): JobOutcome {
  return perItem(chunkOrJob, job => executeOne(job, fns))
}

function executeOne (job: Job, fns: Record<string, Fn>): JobOutcome {
  try {
    const outputs = fns[job.fn.export](decodeValue(job.input)).map(([port, v]) => ({ port, bytes: encodeValue(v) }))
    return { id: job.id, ok: true, outputs }
  } catch (err) {
    return { id: job.id, ok: false, error: { name: 'WasmTrapError', message: (err as Error).message } }
  }
}

export interface Delivered {
  readonly value: unknown
  readonly tag?: string
}

export class Sim {
  readonly sinks: Record<string, Delivered[]> = {}
  /** `stage` → worker → the inputs it ran */
  readonly ran: Record<string, Record<string, unknown[]>> = {}

  constructor (readonly state: RunState, readonly fns: Record<string, Fn>, readonly stageOf: (job: Job) => string = job => job.fn.export) {}

  collect (ds: readonly SinkDelivery[] | undefined): void {
    for (const d of itemDeliveries(ds ?? [])) (this.sinks[d.sink] ??= []).push(d.tag == null ? { value: decodeValue(d.bytes) } : { value: decodeValue(d.bytes), tag: d.tag })
  }

  offer (source: string, items: unknown[], exhausted = true): void {
    for (const item of items) this.collect(this.state.offerSourceItem(source, encodeValue(item)))
    if (exhausted) this.collect(this.state.sourceExhausted(source))
  }

  /** Jobs `worker` takes now (not yet run). */
  take (worker: string, max = 1000): Job[] {
    const jobs = this.state.takeJobs(max, worker, 0)
    this.collect(this.state.takeReplayedDeliveries())
    return jobs
  }

  /** Runs jobs as a worker would: a job with a side input gets `[item, current value]`. */
  run (worker: string, jobs: Job[]): void {
    for (const taken of jobs) {
      const job = taken.side == null ? taken : { ...taken, input: withSideValue(taken.input, this.state.sideValues.get(taken.side)?.bytes) }
      ;((this.ran[this.stageOf(job)] ??= {})[worker] ??= []).push(decodeValue(job.input))
      this.collect(this.state.complete(execute(job, this.fns)))
    }
  }

  /** Round-robin over `workers` (each takes up to `batch` jobs and runs them) until settled; bounded. */
  drive (workers: readonly string[], batch = 3, maxSteps = 100_000): void {
    for (let step = 0; step < maxSteps; step++) {
      let any = false
      for (const w of workers) {
        const jobs = this.take(w, batch)
        if (jobs.length > 0) any = true
        this.run(w, jobs)
      }
      if (this.state.isSettled()) return
      if (!any) throw new Error(`stuck: nothing to take for ${workers.join(', ')} and not settled (queued ${this.state.itemsQueued}, out ${this.state.jobsOut})`)
    }
    throw new Error('run did not finish')
  }
}

export const values = (name: string, vs: unknown[]): SourceSpec => ({ kind: 'values', name, values: vs })
export const stdout = (name: string, inputs: string[]): SinkSpec => ({ kind: 'stdout', name, inputs })
export const list = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i)
