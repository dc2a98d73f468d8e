/**
 * A submitted flow, validated on the coordinator as if its files were here: the same validator
 * (core/flow/validate.ts) reads the client's flow text, and its file access goes to the client's manifest.
 * Modules are fetched from the client by sha256 (the code protocol checks the hash), so a client cannot run
 * anything it did not name; input files are only checked to exist: the client streams their items.
 */
import { posix } from 'node:path'
import { FlowValidationError } from '../../../core/errors.js'
import type { FlowFiles } from '../../../core/flow/validate.js'
import { loadFlow } from '../../../core/flow/validate.js'
import type { FlowFileEntry } from '../../../core/protocol/submit-messages.js'
import { planOf } from '../flow-plan.js'
import type { FlowPlan } from '../flow-plan.js'

/** A module's bytes by hash: fetched from the client, or read from the coordinator's state after a restart. */
export type ModuleSource = (hash: string) => Promise<Uint8Array>

export interface SubmittedFlow {
  readonly file: string
  readonly text: string
  readonly files: readonly FlowFileEntry[]
}

/** Validates a submitted flow; throws FlowValidationError (naming the client's file and the JSON path). */
export async function planFromSubmit (flow: SubmittedFlow, modules: ModuleSource, maxModuleBytes: number): Promise<FlowPlan> {
  const entries = new Map(flow.files.map(([path, kind, hash]) => [path, { kind, hash }]))
  let moduleBytes = 0
  const files: FlowFiles = {
    // the client resolved its paths as absolute POSIX paths (its manifest's keys); do the same with its text
    resolve: (flowFile, relative) => posix.resolve(posix.dirname(flowFile), relative),
    async read (path) {
      const entry = entries.get(path)
      if (entry?.kind !== 'module') return undefined
      const bytes = await modules(entry.hash)
      moduleBytes += bytes.length
      if (moduleBytes > maxModuleBytes) {
        throw new FlowValidationError(flow.file, '', `modules of at most ${maxModuleBytes} bytes in all per run on this coordinator, but they are larger`)
      }
      return bytes
    },
    exists: async path => entries.has(path)
  }
  const loaded = await loadFlow(flow.file, flow.text, files)
  const inputs: Record<string, string> = {}
  for (const source of Object.values(loaded.spec.sources)) {
    if (source.kind !== 'lines' && source.kind !== 'jsonl') continue
    const entry = entries.get(source.path)
    if (entry?.kind !== 'input') throw new FlowValidationError(flow.file, `sources.${source.name}.path`, `an input file the client named, but ${source.path} is not one`)
    inputs[source.name] = entry.hash
  }
  return planOf(flow.file, flow.text, loaded, inputs)
}
