/**
 * What `grid.run` accepts as a flow: a flow.json path, or the same thing as an object, where a function's
 * `wasm` may be the module's bytes and a source may be an array or any iterable (it becomes `{ "type": "client" }`, fed
 * from code). An object is validated exactly as a file would be (same FlowValidationError, same JSON paths),
 * as the virtual file `<dir>/<name>.flow.json`: relative paths in it resolve against `dir` (default: cwd).
 */
import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import { FlowValidationError } from '../../core/errors.js'
import type { FlowFiles } from '../../core/flow/validate.js'
import { loadFlow } from '../../core/flow/validate.js'
import { loadSubmission, manifestOf } from '../client/submission.js'
import type { Submission } from '../client/submission.js'
import { planOf } from '../coordinator/flow-plan.js'
import { nodeFlowFiles } from '../flow-files.js'
import type { CodeSource } from './code-sources.js'
import { CodeFeed } from './code-sources.js'

/** A function of a flow object: as in flow.json, but `wasm` may also be the module's bytes. */
export interface FlowFunction {
  readonly wasm?: string | Uint8Array
  readonly js?: string
  readonly export?: string
  readonly [field: string]: unknown
}

/**
 * A flow as an object: the flow.json schema (README, "flow.json reference"), with module bytes allowed for
 * `functions.*.wasm` and iterables allowed as sources.
 */
export interface FlowObject {
  readonly name: string
  readonly functions?: Readonly<Record<string, FlowFunction>>
  readonly sources: Readonly<Record<string, object | CodeSource>>
  readonly stages?: Readonly<Record<string, object>>
  readonly sinks: Readonly<Record<string, object>>
  readonly [field: string]: unknown
}

/** A flow.json path, or a flow object. */
export type FlowInput = string | FlowObject

export interface PreparedFlow {
  readonly submission: Submission
  /** The code sources by name, ready to be pulled. */
  readonly feeds: ReadonlyMap<string, CodeFeed>
}

function isIterable (value: unknown): value is CodeSource {
  return value != null && typeof value === 'object' && (Symbol.iterator in value || Symbol.asyncIterator in value)
}

/** Validates the flow here (FlowValidationError before anything is sent) and binds its code sources. */
export async function prepareFlow (flow: FlowInput, sources: Readonly<Record<string, CodeSource>> = {}, dir = process.cwd()): Promise<PreparedFlow> {
  let submission: Submission
  const given = new Map(Object.entries(sources))
  if (typeof flow === 'string') {
    submission = await loadSubmission(flow)
  } else {
    if (flow == null || typeof flow !== 'object' || Array.isArray(flow)) throw new FlowValidationError('(flow object)', '', 'a flow: a flow.json path or an object with name, sources, stages and sinks')
    const file = resolve(dir, `${typeof flow.name === 'string' && /^[\w.-]+$/.test(flow.name) ? flow.name : 'flow'}.flow.json`)
    const virtual = new Map<string, Uint8Array>()
    const functions: Record<string, unknown> = {}
    for (const [name, fn] of Object.entries(flow.functions ?? {})) {
      if (fn?.wasm instanceof Uint8Array) {
        // bytes stand in the flow text as a virtual file named by their hash (the submit manifest names them so)
        const path = resolve(dir, `module-${createHash('sha256').update(fn.wasm).digest('hex').slice(0, 16)}.wasm`)
        virtual.set(path, fn.wasm)
        functions[name] = { ...fn, wasm: path }
      } else {
        functions[name] = fn
      }
    }
    const flowSources: Record<string, unknown> = {}
    for (const [name, source] of Object.entries(flow.sources ?? {})) {
      if (isIterable(source)) {
        if (given.has(name)) throw new FlowValidationError(file, `sources.${name}`, 'a source given once, but it is an iterable in the flow object and in the options\' sources too')
        given.set(name, source)
        flowSources[name] = { type: 'client' }
      } else {
        flowSources[name] = source
      }
    }
    const text = JSON.stringify({ ...flow, ...(flow.functions != null ? { functions } : {}), sources: flowSources }, null, 2)
    const files: FlowFiles = {
      resolve: nodeFlowFiles.resolve,
      read: async path => virtual.get(path) ?? await nodeFlowFiles.read(path),
      exists: async path => virtual.has(path) || await nodeFlowFiles.exists(path)
    }
    const plan = planOf(file, text, await loadFlow(file, text, files))
    submission = { plan, files: await manifestOf(plan) }
  }
  const { spec, file } = submission.plan
  const feeds = new Map<string, CodeFeed>()
  for (const source of Object.values(spec.sources)) {
    if (source.kind !== 'client') continue
    const iterable = given.get(source.name)
    if (iterable == null) throw new FlowValidationError(file, `sources.${source.name}`, `items from code: pass an iterable as run options' sources.${source.name}`)
    feeds.set(source.name, new CodeFeed(source.name, iterable, Array.isArray(iterable) ? iterable.length : undefined))
    given.delete(source.name)
  }
  for (const name of given.keys()) {
    throw new FlowValidationError(file, `sources.${name}`, `a source of type "client" for the iterable given as sources.${name}, but ${spec.sources[name] != null ? `it is of type "${spec.sources[name].kind}"` : 'the flow has no such source'}`)
  }
  return { submission, feeds }
}
