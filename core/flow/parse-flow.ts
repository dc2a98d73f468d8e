/**
 * Step 1 of validation: the shape of a flow file. Turns the parsed JSON into a FlowSpec with defaults
 * applied and file paths resolved, checking types, required and unknown fields, names, and per-object
 * rules (range bounds, png size, aggregate ports). Stream references are kept as written here; the next
 * step (check-streams.ts) resolves them, since a stage may read a stage declared after it.
 */
import { DEFAULT_PORT, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, MAX_REPLICAS, MIN_REPLICAS, PARTIAL_SUFFIX, WASI_START } from './model.js'
import { FUNCTION_ABIS } from '../abi/modules.js'
import type { FunctionAbi } from '../abi/modules.js'
import { DEFAULT_WASI_IO, WASI_IO_MODES } from '../abi/wasi/io.js'
import type { WasiIo } from '../abi/wasi/io.js'
import type { ClusterSpec, FlowSpec, FunctionSpec, PartitionSpec, SinkSpec, SourceSpec, StageSpec, VerifySpec } from './model.js'
import { describeJson, didYouMean, FIELDS, FieldReader, join } from './parse-fields.js'

export const DEFAULT_CHANNELS = 3
/** setTimeout's largest delay (about 24.8 days); a larger timeoutMs would fire at once. */
export const MAX_TIMEOUT_MS = 2_147_483_647
export const MAX_RETRIES = 100
/** Per side: the png sink holds the whole image (and an RGBA copy) in memory until the flow ends. */
export const MAX_PNG_SIDE = 16_384
/** Largest `members` of a cluster: far above any real deployment, small enough to catch a typo. */
export const MAX_CLUSTER_MEMBERS = 4096
/** Labels travel in the worker's hello, which caps them at 64 characters. */
export const MAX_LABEL_LENGTH = 64

/** Where each entity's `input` was written, for messages about its stream references. */
export interface InputSite {
  /** `stages.count` or `sinks.out` */
  readonly path: string
  /** Whether `input` was an array (paths then end in `[i]`). */
  readonly array: boolean
}

export interface ParsedFlow {
  /** Stream references in `inputs` are as written (not yet resolved nor canonical). */
  readonly spec: FlowSpec
  readonly inputSites: ReadonlyMap<string, InputSite>
  /** Functions written without `export`, whose own name is the export. */
  readonly implicitExports: ReadonlySet<string>
  readonly warnings: string[]
}

export function inputPath (site: InputSite, index: number): string {
  return site.array ? `${site.path}.input[${index}]` : `${site.path}.input`
}

type Resolve = (relative: string) => string

export function parseFlow (file: string, json: unknown, resolve: Resolve): ParsedFlow {
  const r = new FieldReader(file)
  const top = r.object('', json, 'a JSON object describing the flow')
  r.fields('', top, FIELDS.flow, ['name', 'sources', 'sinks'], 'a flow')
  if (top.$schema !== undefined) r.string('$schema', top.$schema)
  const name = r.name('name', top.name, 'a flow name')
  if (top.description !== undefined) r.string('description', top.description)

  const warnings: string[] = []
  const inputSites = new Map<string, InputSite>()
  const owners = new Map<string, string>() // source/stage/sink name → its path, for uniqueness

  const functions: Record<string, FunctionSpec> = {}
  const implicitExports = new Set<string>()
  for (const [fname, value] of entries(r, 'functions', top.functions, false)) {
    functions[fname] = parseFunction(r, `functions.${fname}`, fname, value, resolve)
    if ((value as Record<string, unknown>).export === undefined && functions[fname].abi === undefined) implicitExports.add(fname)
  }

  // clusters have their own namespace, like functions: a stage may be called like the cluster it runs on
  const clusters: Record<string, ClusterSpec> = {}
  for (const [cname, value] of entries(r, 'clusters', top.clusters, false)) {
    clusters[cname] = parseCluster(r, `clusters.${cname}`, cname, value)
  }

  const sources: Record<string, SourceSpec> = {}
  for (const [sname, value] of entries(r, 'sources', top.sources, true)) {
    claim(r, owners, 'sources', sname)
    sources[sname] = parseSource(r, `sources.${sname}`, sname, value, resolve, warnings)
  }

  const stages: Record<string, StageSpec> = {}
  for (const [sname, value] of entries(r, 'stages', top.stages, false)) {
    claim(r, owners, 'stages', sname)
    stages[sname] = parseStage(r, `stages.${sname}`, sname, value, functions, clusters, inputSites)
  }

  const sinks: Record<string, SinkSpec> = {}
  const sinkPaths = new Map<string, string>()
  for (const [sname, value] of entries(r, 'sinks', top.sinks, true)) {
    claim(r, owners, 'sinks', sname)
    const sink = parseSink(r, `sinks.${sname}`, sname, value, resolve, inputSites)
    if (sink.kind !== 'stdout') {
      const other = sinkPaths.get(sink.path)
      if (other != null) r.fail(`sinks.${sname}.path`, `a file no other sink writes, but sink "${other}" writes ${JSON.stringify(sink.path)} too`)
      sinkPaths.set(sink.path, sname)
    }
    sinks[sname] = sink
  }

  for (const cluster of Object.keys(clusters)) {
    if (!Object.values(stages).some(stage => stage.cluster === cluster)) warnings.push(`cluster "${cluster}" is not used by any stage`)
  }
  // `clusters` only when declared: flows without clusters keep exactly their former shape
  const placed = Object.keys(clusters).length > 0 ? { clusters } : {}
  return { spec: { name, file, functions, ...placed, sources, stages, sinks }, inputSites, implicitExports, warnings }
}

/** The members of a section (`functions`, `sources`, …) in file order, with checked names. */
function entries (r: FieldReader, section: string, value: unknown, required: boolean): Array<[string, unknown]> {
  if (value === undefined) return []
  const obj = r.object(section, value, `an object of named ${section}`)
  const list = Object.entries(obj)
  if (required && list.length === 0) {
    r.fail(section, section === 'sinks'
      ? 'at least one sink: a flow with no sinks computes nothing anyone sees (add e.g. { "type": "stdout", "input": "…" })'
      : `at least one ${section.slice(0, -1)}`)
  }
  for (const [key] of list) r.checkName(join(section, key), key, `a ${section.slice(0, -1)} name`)
  return list
}

/** Source, stage and sink names share one namespace: stream ids and messages must be unambiguous. */
function claim (r: FieldReader, owners: Map<string, string>, section: string, name: string): void {
  const other = owners.get(name)
  if (other != null) r.fail(`${section}.${name}`, `a name not used elsewhere: sources, stages and sinks share one namespace, and ${other} exists`)
  owners.set(name, `${section}.${name}`)
}

function parseFunction (r: FieldReader, path: string, name: string, value: unknown, resolve: Resolve): FunctionSpec {
  const obj = r.object(path, value, 'a function: { "wasm": "path/to/module.wasm", "export": "name" } or { "js": "path/to/fn.js" }')
  if (obj.js !== undefined) return parseJsFunction(r, path, name, obj, resolve)
  r.fields(path, obj, FIELDS.function, ['wasm'], 'a function')
  const wasm = r.nonEmptyString(`${path}.wasm`, obj.wasm, 'the path of a .wasm file, relative to the flow file')
  const wasi = parseWasi(r, path, obj)
  if (wasi !== undefined) {
    if (obj.description !== undefined) r.string(`${path}.description`, obj.description)
    return { name, wasm: resolve(wasm), export: WASI_START, abi: 'wasi', io: wasi }
  }
  // The export defaults to the function's own name: `"double": { "wasm": "m.wasm" }` calls `double`.
  const exportName = obj.export === undefined ? name : r.nonEmptyString(`${path}.export`, obj.export, 'the name of an exported function')
  if (obj.description !== undefined) r.string(`${path}.description`, obj.description)
  return { name, wasm: resolve(wasm), export: exportName }
}

/** `"js": "fn.js"`: a JavaScript function (core/abi/README.md, "JavaScript functions"); `export` as for ABI v1. */
function parseJsFunction (r: FieldReader, path: string, name: string, obj: Record<string, unknown>, resolve: Resolve): FunctionSpec {
  r.fields(path, obj, FIELDS.function, [], 'a function')
  const js = r.nonEmptyString(`${path}.js`, obj.js, 'the path of a JavaScript module (.js), relative to the flow file')
  for (const key of ['wasm', 'abi', 'io']) {
    if (obj[key] !== undefined) r.fail(`${path}.${key}`, `nothing for a JavaScript function ("js"): "${key}" is for WebAssembly modules; a function has either "wasm" or "js"`)
  }
  const exportName = obj.export === undefined ? name : r.nonEmptyString(`${path}.export`, obj.export, 'the name of a function the module exports ("default" for export default)')
  if (obj.description !== undefined) r.string(`${path}.description`, obj.description)
  const file = resolve(js)
  return { name, js: file, wasm: file, export: exportName, abi: 'js' }
}

/** `abi` and `io`: the WASI io mode when `"abi": "wasi"`, undefined for ABI v1 (the default). */
function parseWasi (r: FieldReader, path: string, obj: Record<string, unknown>): WasiIo | undefined {
  const abis = FUNCTION_ABIS.map(a => JSON.stringify(a)).join(' or ')
  if (obj.abi !== undefined && !FUNCTION_ABIS.includes(obj.abi as FunctionAbi)) {
    r.fail(`${path}.abi`, `${abis} (the default: "v1", the edge-grid function ABI; "wasi": a WASI preview 1 command), got ${describeJson(obj.abi)}`)
  }
  if (obj.abi !== 'wasi') {
    if (obj.io !== undefined) r.fail(`${path}.io`, 'only for WASI commands: add "abi": "wasi" (ABI v1 functions take and emit msgpack through grid_alloc and grid.emit)')
    return undefined
  }
  if (obj.export !== undefined && obj.export !== WASI_START) {
    r.fail(`${path}.export`, `nothing (or "${WASI_START}"): a WASI command runs its ${WASI_START} once per item, got ${describeJson(obj.export)}`)
  }
  if (obj.io === undefined) return DEFAULT_WASI_IO
  if (!WASI_IO_MODES.includes(obj.io as WasiIo)) {
    r.fail(`${path}.io`, `${WASI_IO_MODES.map(m => JSON.stringify(m)).join(', ')} (how items cross stdin and stdout; default "${DEFAULT_WASI_IO}"), got ${describeJson(obj.io)}`)
  }
  return obj.io as WasiIo
}

function parseCluster (r: FieldReader, path: string, name: string, value: unknown): ClusterSpec {
  const obj = r.object(path, value, 'a cluster: { "labels": ["gpu"] } or { "members": 2 } (or both)')
  r.fields(path, obj, FIELDS.cluster, [], 'a cluster')
  const labels: string[] = []
  if (obj.labels !== undefined) {
    const list = r.array(`${path}.labels`, obj.labels, 'an array of worker labels (grid-worker --label L; browser tabs have "browser")')
    list.forEach((label, i) => {
      const l = r.nonEmptyString(`${path}.labels[${i}]`, label, 'a worker label')
      if (l.length > MAX_LABEL_LENGTH) r.fail(`${path}.labels[${i}]`, `a label of at most ${MAX_LABEL_LENGTH} characters, got ${l.length}`)
      if (labels.includes(l)) r.fail(`${path}.labels[${i}]`, `a label not already listed, got ${JSON.stringify(l)} twice`)
      labels.push(l)
    })
  }
  const members = obj.members === undefined ? undefined : r.integer(`${path}.members`, obj.members, 1, MAX_CLUSTER_MEMBERS, 'a number of members')
  if (obj.description !== undefined) r.string(`${path}.description`, obj.description)
  return members === undefined ? { name, labels } : { name, labels, members }
}

/** `cluster`: the name of a declared cluster. */
function parseClusterRef (r: FieldReader, path: string, value: unknown, clusters: Record<string, ClusterSpec>): string {
  const name = r.name(path, value, 'the name of a cluster declared in "clusters"')
  if (!(name in clusters)) {
    const known = Object.keys(clusters)
    r.fail(path, known.length === 0
      ? `a cluster declared in "clusters", but the flow declares none (got ${JSON.stringify(name)})`
      : `one of the clusters declared in "clusters" (${known.join(', ')}), got ${JSON.stringify(name)}${didYouMean(name, known)}`)
  }
  return name
}

function parseVerify (r: FieldReader, path: string, value: unknown): VerifySpec {
  const obj = r.object(path, value, `a verification: { "replicas": ${MIN_REPLICAS}..${MAX_REPLICAS} }`)
  r.fields(path, obj, FIELDS.verify, ['replicas'], 'a verification')
  return { replicas: r.integer(`${path}.replicas`, obj.replicas, MIN_REPLICAS, MAX_REPLICAS, `an integer from ${MIN_REPLICAS} to ${MAX_REPLICAS} (distinct workers per job)`) }
}

function parsePartition (r: FieldReader, path: string, value: unknown): PartitionSpec {
  const obj = r.object(path, value, 'a partition: { "by": "key" } (items [key, value]) or { "by": "value" }')
  r.fields(path, obj, FIELDS.partition, ['by'], 'a partition')
  if (obj.by !== 'key' && obj.by !== 'value') r.fail(`${path}.by`, `"key" (items are [key, value] pairs) or "value" (the whole item is the key), got ${describeJson(obj.by)}`)
  return { by: obj.by }
}

/**
 * Reads `type`. Fields no kind accepts are reported first, so a misspelt `"tpye"` gets a "did you mean"
 * instead of "type is missing"; fields of another kind are reported by the caller once the kind is known.
 */
function typeOf<K extends string> (r: FieldReader, path: string, obj: Record<string, unknown>, kinds: Record<K, readonly string[]>, what: string, fallback?: K): K {
  const allowed = Object.keys(kinds) as K[]
  const anyKind = [...new Set(allowed.flatMap(k => kinds[k]))]
  r.fields(path, obj, anyKind, [], what)
  if (obj.type === undefined) {
    if (fallback !== undefined) return fallback
    r.fail(`${path}.type`, `a required field of ${what}: one of ${allowed.map(k => JSON.stringify(k)).join(', ')}, missing`)
  }
  const type = r.string(`${path}.type`, obj.type, `one of ${allowed.map(k => JSON.stringify(k)).join(', ')}`)
  if (!allowed.includes(type as K)) r.fail(`${path}.type`, `one of ${allowed.map(k => JSON.stringify(k)).join(', ')}, got ${JSON.stringify(type)}`)
  return type as K
}

function parseSource (r: FieldReader, path: string, name: string, value: unknown, resolve: Resolve, warnings: string[]): SourceSpec {
  const obj = r.object(path, value, 'a source: { "type": "range" | "values" | "lines" | "jsonl" | "client", … }')
  const kind = typeOf(r, path, obj, FIELDS.source, 'a source')
  const required = { range: ['type', 'start', 'end'], values: ['type', 'values'], lines: ['type', 'path'], jsonl: ['type', 'path'], client: ['type'] }[kind]
  r.fields(path, obj, FIELDS.source[kind], required, `a ${kind} source`)
  if (obj.description !== undefined) r.string(`${path}.description`, obj.description)
  const max = Number.MAX_SAFE_INTEGER
  switch (kind) {
    case 'range': {
      const start = r.integer(`${path}.start`, obj.start, -max, max)
      const end = r.integer(`${path}.end`, obj.end, -max, max, 'an integer (exclusive end)')
      const step = obj.step === undefined ? 1 : r.integer(`${path}.step`, obj.step, 1, max, 'a positive integer step')
      if (end < start) r.fail(`${path}.end`, `an end at least start (${start}); the range is start, start+step, … below end, got ${end}`)
      if (end === start) warnings.push(`source "${name}" is an empty range (start = end = ${start})`)
      return { kind, name, start, end, step }
    }
    case 'values': {
      const values = r.array(`${path}.values`, obj.values, 'an array of values (any JSON)')
      if (values.length === 0) warnings.push(`source "${name}" has no values`)
      return { kind, name, values }
    }
    case 'lines':
    case 'jsonl':
      return { kind, name, path: resolve(r.nonEmptyString(`${path}.path`, obj.path, 'the path of a file, relative to the flow file')) }
    case 'client':
      return obj.index === undefined ? { kind, name } : { kind, name, index: r.boolean(`${path}.index`, obj.index) }
  }
}

/** `input`: one stream id or a non-empty array of them (fan-in). */
function parseInput (r: FieldReader, path: string, obj: Record<string, unknown>, sites: Map<string, InputSite>): string[] {
  const what = 'a stream id ("source", "stage" or "stage.port") or a non-empty array of them'
  const array = Array.isArray(obj.input)
  sites.set(path, { path, array })
  const list = array ? obj.input as unknown[] : [obj.input]
  if (list.length === 0) r.fail(`${path}.input`, `${what}, got an empty array`)
  return list.map((id, i) => r.nonEmptyString(array ? `${path}.input[${i}]` : `${path}.input`, id, what))
}

function parseStage (r: FieldReader, path: string, name: string, value: unknown, functions: Record<string, FunctionSpec>, clusters: Record<string, ClusterSpec>, sites: Map<string, InputSite>): StageSpec {
  const obj = r.object(path, value, 'a stage: { "function": "…", "input": "…" }')
  const kind = typeOf<keyof typeof FIELDS.stage>(r, path, obj, FIELDS.stage, 'a stage', 'map')
  r.fields(path, obj, FIELDS.stage[kind], ['function', 'input'], `${kind === 'aggregate' ? 'an' : 'a'} ${kind} stage`)
  const fn = r.name(`${path}.function`, obj.function, 'the name of a function declared in "functions"')
  if (!(fn in functions)) {
    const known = Object.keys(functions)
    r.fail(`${path}.function`, known.length === 0
      ? `a function declared in "functions", but the flow declares none (got ${JSON.stringify(fn)})`
      : `one of the functions declared in "functions" (${known.join(', ')}), got ${JSON.stringify(fn)}${didYouMean(fn, known)}`)
  }
  const inputs = parseInput(r, path, obj, sites)
  const outputs = parseOutputs(r, `${path}.outputs`, obj.outputs)
  if (kind === 'aggregate' && (outputs.length !== 1 || outputs[0] !== DEFAULT_PORT)) {
    r.fail(`${path}.outputs`, `["${DEFAULT_PORT}"] or nothing: an aggregate stage emits its [key, combined] items on its one port "${DEFAULT_PORT}", got ${JSON.stringify(outputs)}`)
  }
  const maxInstances = obj.maxInstances === undefined ? undefined : r.integer(`${path}.maxInstances`, obj.maxInstances, 1, Number.MAX_SAFE_INTEGER, 'a positive integer')
  const timeoutMs = obj.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : r.integer(`${path}.timeoutMs`, obj.timeoutMs, 1, MAX_TIMEOUT_MS, 'an integer number of milliseconds')
  const retries = obj.retries === undefined ? DEFAULT_RETRIES : r.integer(`${path}.retries`, obj.retries, 0, MAX_RETRIES, 'an integer')
  const cluster = obj.cluster === undefined ? undefined : parseClusterRef(r, `${path}.cluster`, obj.cluster, clusters)
  const broadcast = obj.broadcast === undefined ? false : r.boolean(`${path}.broadcast`, obj.broadcast)
  if (broadcast && cluster === undefined) {
    r.fail(`${path}.broadcast`, 'a stage with a "cluster": broadcast runs the stage on every member of its cluster, so name one (e.g. "cluster": "workers")')
  }
  const partition = obj.partition === undefined ? undefined : parsePartition(r, `${path}.partition`, obj.partition)
  if (partition !== undefined && cluster === undefined) {
    r.fail(`${path}.partition`, 'a stage with a "cluster": partition routes each key to one member of its cluster, so name one (e.g. "cluster": "workers")')
  }
  if (partition !== undefined && broadcast) {
    r.fail(`${path}.partition`, 'either "broadcast" (every member gets every item) or "partition" (each item goes to one member), not both')
  }
  const verify = obj.verify === undefined ? undefined : parseVerify(r, `${path}.verify`, obj.verify)
  if (verify !== undefined && cluster !== undefined) {
    r.fail(`${path}.verify`, 'a stage without "cluster": replicas must run on distinct workers, which a cluster (and broadcast or partition) would restrict or contradict')
  }
  if (verify !== undefined && obj.sideInput !== undefined) {
    r.fail(`${path}.verify`, 'a stage without "sideInput": replicas handed out at different times could see different side values and disagree')
  }
  const sideInput = obj.sideInput === undefined ? undefined : r.nonEmptyString(`${path}.sideInput`, obj.sideInput, 'a stream id ("source", "stage" or "stage.port") whose latest item the function receives with each item')
  if (obj.description !== undefined) r.string(`${path}.description`, obj.description)
  const hints = {
    timeoutMs,
    retries,
    ...(maxInstances !== undefined ? { maxInstances } : {}),
    ...(cluster !== undefined ? { cluster } : {}),
    ...(broadcast ? { broadcast: true as const } : {}),
    ...(partition !== undefined ? { partition } : {}),
    ...(verify !== undefined ? { verify } : {})
  }
  return kind === 'aggregate'
    ? { kind, name, function: fn, inputs, outputs: [DEFAULT_PORT], ...hints }
    : { kind, name, function: fn, inputs, outputs, ...hints, ...(sideInput !== undefined ? { sideInput } : {}) }
}

function parseOutputs (r: FieldReader, path: string, value: unknown): string[] {
  if (value === undefined) return [DEFAULT_PORT]
  const list = r.array(path, value, 'a non-empty array of output port names')
  if (list.length === 0) r.fail(path, 'a non-empty array of output port names, got an empty array')
  const seen = new Set<string>()
  return list.map((port, i) => {
    const p = r.name(`${path}[${i}]`, port, 'a port name')
    if (seen.has(p)) r.fail(`${path}[${i}]`, `a port name not already listed, got ${JSON.stringify(p)} twice`)
    seen.add(p)
    return p
  })
}

function parseSink (r: FieldReader, path: string, name: string, value: unknown, resolve: Resolve, sites: Map<string, InputSite>): SinkSpec {
  const obj = r.object(path, value, 'a sink: { "type": "stdout" | "jsonl" | "png", "input": "…", … }')
  const kind = typeOf(r, path, obj, FIELDS.sink, 'a sink')
  const required = { stdout: ['type', 'input'], jsonl: ['type', 'input', 'path'], png: ['type', 'input', 'path', 'width', 'height'] }[kind]
  r.fields(path, obj, FIELDS.sink[kind], required, `a ${kind} sink`)
  const inputs = parseInput(r, path, obj, sites)
  if (obj.description !== undefined) r.string(`${path}.description`, obj.description)
  if (kind === 'stdout') return { kind, name, inputs }
  const file = resolve(r.nonEmptyString(`${path}.path`, obj.path, 'the path of the output file, relative to the flow file'))
  if (file.endsWith(PARTIAL_SUFFIX)) r.fail(`${path}.path`, `a path not ending in "${PARTIAL_SUFFIX}" (a run writes <path>${PARTIAL_SUFFIX} before replacing <path>), got ${JSON.stringify(obj.path)}`)
  if (kind === 'jsonl') return { kind, name, inputs, path: file }
  const width = r.integer(`${path}.width`, obj.width, 1, MAX_PNG_SIDE, 'an image width in pixels')
  const height = r.integer(`${path}.height`, obj.height, 1, MAX_PNG_SIDE, 'an image height in pixels')
  let channels: 1 | 3 | 4 = DEFAULT_CHANNELS
  if (obj.channels !== undefined) {
    if (obj.channels !== 1 && obj.channels !== 3 && obj.channels !== 4) {
      r.fail(`${path}.channels`, `1 (grey), 3 (RGB) or 4 (RGBA), got ${JSON.stringify(obj.channels)}`)
    }
    channels = obj.channels
  }
  return { kind, name, inputs, path: file, width, height, channels }
}
