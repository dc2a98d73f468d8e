/**
 * flow.json → a checked FlowSpec and its compiled modules. Platform-neutral: file access is injected
 * (`FlowFiles`; node-peer/flow-files.ts is the Node one). Validation stops at the first problem, found in a
 * fixed order, so the same file always gives the same message:
 *
 *   1. JSON syntax (line and column; duplicate keys)           json-text.ts
 *   2. shape: fields, types, names, defaults, per-object rules  parse-flow.ts
 *   3. stream references and unread sources                     check-streams.ts
 *   4. side inputs from upstream, no broadcast inside a loop    check-placement.ts
 *      feedback loops: entry, exit, no aggregate inside         check-loops.ts
 *   5. input files of lines/jsonl sources exist
 *   6. wasm modules: exist, follow ABI v1, export the function  load-modules.ts
 *
 * Every error is a FlowValidationError(file, jsonPath, expected); README.md in this folder documents the format.
 */
import { FlowValidationError } from '../errors.js'
import { checkLoops } from './check-loops.js'
import { checkPlacement } from './check-placement.js'
import { resolveStreams } from './check-streams.js'
import { buildGraph } from './graph.js'
import { JsonTextError, parseJsonText } from './json-text.js'
import { loadModules } from './load-modules.js'
import type { LoadedModule } from './load-modules.js'
import type { FlowSpec } from './model.js'
import { parseFlow } from './parse-flow.js'

export type { LoadedModule } from './load-modules.js'

export interface FlowFiles {
  /** Resolves `relative` against the folder of the flow file (`flowFile`); absolute paths stay as they are. */
  resolve (flowFile: string, relative: string): string
  /** Reads a file, or returns undefined if it does not exist / is not a regular file. */
  read (path: string): Promise<Uint8Array | undefined>
  /** Whether `path` is an existing regular file. */
  exists (path: string): Promise<boolean>
}

export interface LoadedFlow {
  readonly spec: FlowSpec
  /** Function name → its module; functions sharing a .wasm file share one entry object. */
  readonly modules: Map<string, LoadedModule>
  /** Legal but suspicious things (unread output ports, unused functions, empty sources), for the user. */
  readonly warnings: string[]
}

/** Parses and validates a flow file's text; throws FlowValidationError at the first problem. */
export async function loadFlow (file: string, text: string, files: FlowFiles): Promise<LoadedFlow> {
  let json: unknown
  try {
    json = parseJsonText(text)
  } catch (err) {
    if (!(err instanceof JsonTextError)) throw err
    if (err.path !== undefined) {
      // A duplicate key: the name of an entity or field given twice; JSON.parse would silently keep the last.
      throw new FlowValidationError(file, err.path, `a key given once per object, but ${err.message}`)
    }
    throw new FlowValidationError(file, '', `valid JSON: ${err.message}`)
  }
  return await validateFlowObject(file, json, files)
}

/** Validates an already parsed flow file (steps 2–6 above). */
export async function validateFlowObject (file: string, json: unknown, files: FlowFiles): Promise<LoadedFlow> {
  const parsed = parseFlow(file, json, relative => files.resolve(file, relative))
  const warnings = [...parsed.warnings]
  const spec = resolveStreams(parsed.spec, parsed.inputSites, warnings)
  const graph = buildGraph(spec)
  checkPlacement(spec, graph)
  checkLoops(spec, graph)

  const used = new Set(Object.values(spec.stages).map(stage => stage.function))
  for (const name of Object.keys(spec.functions)) {
    if (!used.has(name)) warnings.push(`function "${name}" is not used by any stage`)
  }

  for (const source of Object.values(spec.sources)) {
    if ((source.kind === 'lines' || source.kind === 'jsonl') && !(await files.exists(source.path))) {
      throw new FlowValidationError(file, `sources.${source.name}.path`, `an existing file (relative to the flow file's folder), but ${source.path} does not exist or is not a file`)
    }
  }

  const modules = await loadModules(spec, files, parsed.implicitExports)
  return { spec, modules, warnings }
}
