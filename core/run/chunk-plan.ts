/**
 * Which sources a run hands out as chunks (range sources: chunks.ts; file sources: item-chunks.ts), which
 * outputs of a chunked stage its workers combine (combiner.ts), and what a finished chunk teaches its stage.
 */
import type { Produced } from './router.js'
import type { FlowGraph } from '../flow/graph.js'
import { canonicalStream, streamOf } from '../flow/model.js'
import type { FlowSpec } from '../flow/model.js'
import { takesChunks } from './stage-state.js'
import type { ChunkCombiner, StageState, StageStateOptions } from './stage-state.js'
import type { FunctionRef } from '../jobs.js'

/**
 * Range sources whose items only chunkable stages read (stage-state.ts, takesChunks): no sink, aggregate or
 * side input reads them item by item. Those are handed out as chunks.
 */
export function splitRangeSources (spec: FlowSpec, graph: FlowGraph, sideStreams: ReadonlySet<string>): Map<string, string[]> {
  const split = new Map<string, string[]>()
  for (const source of Object.values(spec.sources)) {
    // integer ranges only: a chunk's items (start + i × step) are then exactly the items read one by one
    if (source.kind !== 'range' || !Number.isSafeInteger(source.start) || !Number.isSafeInteger(source.step)) continue
    const stream = canonicalStream(source.name)
    const consumers = graph.consumers.get(stream) ?? []
    if (sideStreams.has(stream) || consumers.length === 0) continue
    if (consumers.every(c => c.kind === 'stage' && takesChunks(spec.stages[c.name]))) split.set(source.name, consumers.map(c => c.name))
  }
  return split
}

/**
 * File sources (`lines`, `jsonl`) whose items only chunkable stages read, as for ranges: those are handed
 * out as item chunks (item-chunks.ts).
 */
export function splitItemSources (spec: FlowSpec, graph: FlowGraph, sideStreams: ReadonlySet<string>): Map<string, string[]> {
  const split = new Map<string, string[]>()
  for (const source of Object.values(spec.sources)) {
    if (source.kind !== 'lines' && source.kind !== 'jsonl') continue
    const stream = canonicalStream(source.name)
    const consumers = graph.consumers.get(stream) ?? []
    if (sideStreams.has(stream) || consumers.length === 0) continue
    if (consumers.every(c => c.kind === 'stage' && takesChunks(spec.stages[c.name]))) split.set(source.name, consumers.map(c => c.name))
  }
  return split
}

/**
 * The ports of a chunked map stage whose only reader is an aggregate stage (neither pinned nor verified:
 * its combine jobs may run on any worker unchecked), each with that aggregate's combine function. A worker
 * folds a chunk's outputs on those ports per key before answering (a MapReduce combiner, combiner.ts): the
 * function is associative and commutative by contract, so the aggregate's result is the same.
 */
export function chunkCombiners (spec: FlowSpec, graph: FlowGraph, stage: string, functions: ReadonlyMap<string, FunctionRef>): ChunkCombiner[] {
  const combiners: ChunkCombiner[] = []
  spec.stages[stage].outputs.forEach((port, index) => {
    const consumers = graph.consumers.get(streamOf(stage, port)) ?? []
    if (consumers.length !== 1 || consumers[0].kind !== 'stage') return
    const reader = spec.stages[consumers[0].name]
    if (reader.kind !== 'aggregate' || reader.cluster != null || reader.verify != null) return
    const fn = functions.get(reader.function)
    if (fn != null) combiners.push({ port: index, fn })
  })
  return combiners
}

/** A chunk's worker time and output bytes teach its stage's sizer the cost per item. */
export function observeChunk (stage: StageState, items: number, ms: number, produced: Produced): void {
  // packed: the block's size (5 bytes per output more than their bytes) is near enough for sizing
  let bytes = produced.packed?.length ?? 0
  if (produced.packed == null) for (const output of produced.outputs) bytes += output.bytes.length
  stage.chunks?.sizer.observe(items, ms, bytes)
}

/** The run's split sources (ranges, files) → the stages reading them, and each stage's chunk options. */
export class ChunkPlan {
  readonly ranges: ReadonlyMap<string, readonly string[]>
  readonly items: ReadonlyMap<string, readonly string[]>
  /** Stages fed by a split range source: the only chain heads (chain-plan.ts). */
  readonly rangeStages: ReadonlySet<string>
  private readonly itemStages: ReadonlySet<string>

  constructor (private readonly spec: FlowSpec, private readonly graph: FlowGraph, sideStreams: ReadonlySet<string>, private readonly functions: ReadonlyMap<string, FunctionRef>) {
    this.ranges = splitRangeSources(spec, graph, sideStreams)
    this.items = splitItemSources(spec, graph, sideStreams)
    this.rangeStages = new Set([...this.ranges.values()].flat())
    this.itemStages = new Set([...this.items.values()].flat())
  }

  /** Which queues cut the stage's chunks, and which of its ports its workers combine. */
  stageOptions (stage: string): StageStateOptions {
    const chunked = this.rangeStages.has(stage)
    const itemChunked = this.itemStages.has(stage)
    if (!chunked && !itemChunked) return {}
    return { chunked, itemChunked, combine: chunkCombiners(this.spec, this.graph, stage, this.functions) }
  }
}
