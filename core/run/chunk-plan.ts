/**
 * Which range sources a run hands out as chunks (chunks.ts), and what a finished chunk teaches its stage.
 */
import type { Emitted } from '../abi/abi.js'
import type { FlowGraph } from '../flow/graph.js'
import { canonicalStream } from '../flow/model.js'
import type { FlowSpec } from '../flow/model.js'
import { takesChunks } from './stage-state.js'
import type { StageState } from './stage-state.js'

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

/** A chunk's worker time and output bytes teach its stage's sizer the cost per item. */
export function observeChunk (stage: StageState, items: number, ms: number, outputs: readonly Emitted[]): void {
  let bytes = 0
  for (const output of outputs) bytes += output.bytes.length
  stage.chunks?.sizer.observe(items, ms, bytes)
}
