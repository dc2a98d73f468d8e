/**
 * What a client sends to a standing coordinator: its flow, validated here first (the same errors as a local
 * run, before anything is sent), and the manifest of the files the flow names (modules by sha256, which the
 * coordinator fetches from this client; input files by the sha256 of their content, which binds the run's
 * journal to them: their items are streamed from here).
 */
import type { FlowFileEntry } from '../../core/protocol/submit-messages.js'
import { loadFlowPlan } from '../coordinator/flow-plan.js'
import type { FlowPlan } from '../coordinator/flow-plan.js'
import { fileSha256 } from '../flow-fingerprint.js'

export interface Submission {
  readonly plan: FlowPlan
  readonly files: readonly FlowFileEntry[]
}

/** Loads and validates `path` (FlowValidationError as for a local run) and lists its files. */
export async function loadSubmission (path: string): Promise<Submission> {
  const plan = await loadFlowPlan(path)
  return { plan, files: await manifestOf(plan) }
}

export async function manifestOf (plan: FlowPlan): Promise<FlowFileEntry[]> {
  const files = new Map<string, FlowFileEntry>()
  for (const [name, fn] of plan.functions) {
    const path = plan.spec.functions[name].wasm
    files.set(path, [path, 'module', fn.module])
  }
  for (const source of Object.values(plan.spec.sources)) {
    if (source.kind === 'lines' || source.kind === 'jsonl') files.set(source.path, [source.path, 'input', await fileSha256(source.path)])
  }
  return [...files.values()]
}
