/**
 * Which stages run chained (operator chaining, as in Flink and Spark): consecutive map stages that run on the
 * same worker inside one job, item → f1 → f2 → … → fn, so the coordinator never sees the items between them.
 * Decided once at run start from the flow graph alone (pure; README, "Execution semantics": Chains).
 *
 * A chain starts at a stage that takes range chunks (chunk-plan.ts) and grows while the next link holds:
 * the last stage has one output port, read by exactly one stage and nothing else (no sink, no second
 * consumer, not a side input), and that stage reads only this stream (no fan-in), is a plain map stage (no
 * side input, cluster, broadcast, partition, `verify`, `maxInstances`) and is in no loop. Anything else
 * needs the items on the coordinator (to fan out, merge, pin, verify, cap or sink them). A chain holds at
 * most MAX_CHAIN_STAGES stages; the stages after the sixteenth run as plain jobs.
 */
import type { FlowGraph } from '../flow/graph.js'
import type { FlowSpec, MapStageSpec, StageSpec } from '../flow/model.js'
import { canonicalStream, streamOf } from '../flow/model.js'
import { MAX_CHAIN_STAGES } from './chain-chunk.js'

export interface ChainPlan {
  /** Chains of two or more stages, each head first, in flow order of their heads. */
  readonly chains: ReadonlyArray<readonly string[]>
  /**
   * Why a chunked stage heads no chain, or why a chain stops after its last stage (stage → reason): what a
   * user reads to see why two stages did not chain.
   */
  readonly reasons: ReadonlyMap<string, string>
}

/** `chunked`: the stages that take range chunks (the only chain heads for now). */
export function planChains (spec: FlowSpec, graph: FlowGraph, chunked: ReadonlySet<string>): ChainPlan {
  const sideStreams = new Set<string>()
  for (const stage of Object.values(spec.stages)) if (stage.kind === 'map' && stage.sideInput != null) sideStreams.add(canonicalStream(stage.sideInput))
  const chains: string[][] = []
  const reasons = new Map<string, string>()
  const taken = new Set<string>()
  for (const name of graph.order) {
    if (!chunked.has(name) || taken.has(name)) continue
    const head = spec.stages[name]
    const headReason = cannotHead(head)
    if (headReason != null) {
      reasons.set(name, headReason)
      continue
    }
    const chain = [name]
    taken.add(name)
    growChain(spec, graph, sideStreams, chain, taken, reasons)
    if (chain.length > 1) chains.push(chain)
  }
  return { chains, reasons }
}

function growChain (spec: FlowSpec, graph: FlowGraph, sideStreams: ReadonlySet<string>, chain: string[], taken: Set<string>, reasons: Map<string, string>): void {
  for (;;) {
    const last = spec.stages[chain[chain.length - 1]]
    if (chain.length >= MAX_CHAIN_STAGES) {
      reasons.set(last.name, `a chain holds at most ${MAX_CHAIN_STAGES} stages`)
      return
    }
    const next = nextLink(spec, graph, sideStreams, last)
    if (typeof next === 'string') {
      reasons.set(last.name, next)
      return
    }
    if (taken.has(next.name)) {
      reasons.set(last.name, `the next stage "${next.name}" is already in a chain`)
      return
    }
    chain.push(next.name)
    taken.add(next.name)
  }
}

/** Why a stage that takes chunks cannot head a chain (undefined: it can). */
function cannotHead (stage: StageSpec): string | undefined {
  if (stage.cluster != null) return `pinned to cluster "${stage.cluster}" (its items go to members one by one)`
  if (stage.verify != null) return 'verified (replicas compare each stage\'s outputs)'
  return undefined
}

/** The stage that chains after `stage`, or why none does. */
function nextLink (spec: FlowSpec, graph: FlowGraph, sideStreams: ReadonlySet<string>, stage: StageSpec): MapStageSpec | string {
  if (stage.outputs.length !== 1) return `it has ${stage.outputs.length} output ports (a chain passes one stream on)`
  const stream = canonicalStream(streamOf(stage.name, stage.outputs[0]))
  if (sideStreams.has(stream)) return `its output "${stream}" is a side input`
  const consumers = graph.consumers.get(stream) ?? []
  if (consumers.length === 0) return `nothing reads its output "${stream}"`
  const sink = consumers.find(c => c.kind === 'sink')
  if (sink != null) return `its output "${stream}" goes to sink "${sink.name}"`
  if (consumers.length > 1) return `its output "${stream}" is read by ${consumers.length} stages (fan-out)`
  const next = spec.stages[consumers[0].name]
  if (next.kind !== 'map') return `the next stage "${next.name}" is an aggregate`
  if (next.inputs.length !== 1) return `the next stage "${next.name}" reads ${next.inputs.length} streams (fan-in)`
  if (graph.upstream.get(next.name)?.has(next.name) === true) return `the next stage "${next.name}" is in a loop`
  if (next.sideInput != null) return `the next stage "${next.name}" has a side input`
  if (next.cluster != null) return `the next stage "${next.name}" is pinned to cluster "${next.cluster}"`
  if (next.verify != null) return `the next stage "${next.name}" is verified`
  if (next.maxInstances != null) return `the next stage "${next.name}" caps its instances (maxInstances)`
  return next
}
