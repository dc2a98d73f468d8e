/**
 * A flow ready to run: flow.json read and validated, its graph built, its modules loaded and named by
 * content hash. Nothing runs yet; a Coordinator runs it (`coordinator.run(plan, …)`).
 */
import type { FlowGraph } from '../../core/flow/graph.js'
import { buildGraph } from '../../core/flow/graph.js'
import { functionRef } from '../../core/flow/function-ref.js'
import type { FlowSpec } from '../../core/flow/model.js'
import { loadFlow } from '../../core/flow/validate.js'
import type { LoadedFlow } from '../../core/flow/validate.js'
import type { FunctionRef } from '../../core/jobs.js'
import { nodeFlowFiles, readFlowFile } from '../flow-files.js'

export interface FlowPlan {
  /** The flow file's path (the default journal path is derived from it). */
  readonly file: string
  /** Its text, as read (the journal's fingerprint covers it). */
  readonly text: string
  readonly spec: FlowSpec
  readonly graph: FlowGraph
  /** Function name → module hash and export. */
  readonly functions: ReadonlyMap<string, FunctionRef>
  /** Module bytes by content hash. */
  readonly modules: ReadonlyMap<string, Uint8Array>
  /** Things worth saying that do not stop the flow (an unused cluster, …). */
  readonly warnings: readonly string[]
  /**
   * The sha256 of each lines/jsonl source's input file, by source name, when it was computed elsewhere (a
   * submitted flow's files are on its client); absent: the journal hashes the local files.
   */
  readonly inputs?: Readonly<Record<string, string>>
}

/** Reads and validates `path`; throws FlowValidationError (with file and JSON path) when it is not a valid flow. */
export async function loadFlowPlan (path: string): Promise<FlowPlan> {
  const { file, text } = await readFlowFile(path)
  return planOf(file, text, await loadFlow(file, text, nodeFlowFiles))
}

/** A validated flow as a plan: functions named by module hash, module bytes by hash. */
export function planOf (file: string, text: string, { spec, modules, warnings }: LoadedFlow, inputs?: Readonly<Record<string, string>>): FlowPlan {
  const functions = new Map<string, FunctionRef>()
  const bytes = new Map<string, Uint8Array>()
  for (const [name, module] of modules) {
    bytes.set(module.hash, module.bytes)
    functions.set(name, functionRef(spec.functions[name], module.hash))
  }
  return { file, text, spec, graph: buildGraph(spec), functions, modules: bytes, warnings, ...(inputs != null ? { inputs } : {}) }
}

/** The first stage pinned to a cluster, if any (such stages need network workers: embedded ones never join). */
export function pinnedStage (plan: FlowPlan): { readonly name: string, readonly cluster: string } | undefined {
  const stage = Object.values(plan.spec.stages).find(s => s.cluster != null)
  return stage != null ? { name: stage.name, cluster: stage.cluster! } : undefined
}
