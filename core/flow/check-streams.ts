/**
 * Step 2 of validation: stream references. Resolves every `input` of stages and sinks to a canonical
 * stream id (`stage.out` → `stage`), checks that someone writes each stream, and that every source is read.
 * A stage output port nobody reads is allowed (a filter may drop what it rejects) but noted as a warning.
 */
import { FlowValidationError } from '../errors.js'
import { DEFAULT_PORT, streamOf } from './model.js'
import type { FlowSpec, SinkSpec, StageSpec } from './model.js'
import type { InputSite } from './parse-flow.js'
import { inputPath } from './parse-flow.js'
import { didYouMean } from './parse-fields.js'

/** Every stream id a flow defines, in file order: sources, then each stage's ports. */
export function knownStreams (spec: FlowSpec): string[] {
  const ids = Object.keys(spec.sources)
  for (const stage of Object.values(spec.stages)) for (const port of stage.outputs) ids.push(streamOf(stage.name, port))
  return ids
}

export function resolveStreams (spec: FlowSpec, sites: ReadonlyMap<string, InputSite>, warnings: string[]): FlowSpec {
  const known = knownStreams(spec)
  const resolveAll = (section: 'stages' | 'sinks', name: string, inputs: readonly string[]): string[] => {
    const site = sites.get(`${section}.${name}`) ?? { path: `${section}.${name}`, array: inputs.length > 1 }
    const seen = new Map<string, number>()
    return inputs.map((id, i) => {
      const path = inputPath(site, i)
      const stream = resolveStream(spec, known, path, id)
      const earlier = seen.get(stream)
      if (earlier !== undefined) {
        throw new FlowValidationError(spec.file, path, `a stream not already read by this ${section.slice(0, -1)} (${JSON.stringify(id)} is the same stream as input[${earlier}]; reading it twice would duplicate every item)`)
      }
      seen.set(stream, i)
      return stream
    })
  }

  const stages: Record<string, StageSpec> = {}
  for (const stage of Object.values(spec.stages)) {
    const inputs = resolveAll('stages', stage.name, stage.inputs)
    if (stage.kind === 'map' && stage.sideInput !== undefined) {
      const path = `stages.${stage.name}.sideInput`
      const sideInput = resolveStream(spec, known, path, stage.sideInput)
      if (inputs.includes(sideInput)) {
        throw new FlowValidationError(spec.file, path, `a stream the stage does not also read as "input" (${JSON.stringify(stage.sideInput)} is one of its inputs)`)
      }
      stages[stage.name] = { ...stage, inputs, sideInput }
    } else {
      stages[stage.name] = { ...stage, inputs }
    }
  }
  const sinks: Record<string, SinkSpec> = {}
  for (const sink of Object.values(spec.sinks)) sinks[sink.name] = { ...sink, inputs: resolveAll('sinks', sink.name, sink.inputs) }
  const resolved: FlowSpec = { ...spec, stages, sinks }

  const read = new Set<string>()
  for (const entity of [...Object.values(stages), ...Object.values(sinks)]) for (const id of entity.inputs) read.add(id)
  for (const stage of Object.values(stages)) if (stage.kind === 'map' && stage.sideInput !== undefined) read.add(stage.sideInput)
  for (const source of Object.keys(spec.sources)) {
    if (!read.has(source)) throw new FlowValidationError(spec.file, `sources.${source}`, `a source that some stage or sink reads, but nothing reads "${source}"`)
  }
  for (const stage of Object.values(stages)) {
    const unread = stage.outputs.filter(port => !read.has(streamOf(stage.name, port)))
    if (unread.length === stage.outputs.length) {
      warnings.push(`stage "${stage.name}": nothing reads its output${unread.length > 1 ? 's' : ''}; its results are discarded`)
    } else {
      for (const port of unread) warnings.push(`stage "${stage.name}": nothing reads its port "${port}"; items emitted there are discarded`)
    }
  }
  return resolved
}

function resolveStream (spec: FlowSpec, known: string[], path: string, id: string): string {
  const fail = (expected: string): never => { throw new FlowValidationError(spec.file, path, expected) }
  const dot = id.indexOf('.')
  const owner = dot < 0 ? id : id.slice(0, dot)
  const port = dot < 0 ? undefined : id.slice(dot + 1)
  if (owner in spec.sources) {
    if (port !== undefined) fail(`a stream id; source "${owner}" has a single stream, read it as "${owner}", got ${JSON.stringify(id)}`)
    return owner
  }
  const stage = spec.stages[owner]
  if (stage != null) {
    const p = port ?? DEFAULT_PORT
    if (!(stage.outputs as readonly string[]).includes(p)) {
      const ports = stage.outputs.map(o => JSON.stringify(streamOf(owner, o))).join(', ')
      fail(port === undefined
        ? `a stream id; stage "${owner}" has no default port "${DEFAULT_PORT}", read one of its ports: ${ports}`
        : `a port of stage "${owner}" (${ports}), got ${JSON.stringify(id)}${didYouMean(id, stage.outputs.map(o => streamOf(owner, o)))}`)
    }
    return streamOf(owner, p)
  }
  if (owner in spec.sinks) fail(`a stream written by a source or stage; "${owner}" is a sink, which writes no stream`)
  return fail(`a known stream id, got ${JSON.stringify(id)}${didYouMean(id, known)}; known streams: ${known.join(', ')}`)
}
