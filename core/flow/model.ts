/**
 * The flow model: what a validated `flow.json` means, independent of where it runs.
 *
 * A flow is a graph of named streams. Sources and stages write streams; stages and sinks read them.
 * Stream ids: a source's name (`nums`), a stage's default port (`square` = `square.out`), or a
 * named port of a stage (`collatz.next`). Items travel between stages as msgpack bytes and are only
 * decoded where a value is needed (sinks, aggregation keys).
 */
import type { WasiIo } from '../abi/wasi/io.js'

/** A function as the flow names it: an ABI v1 export (the default), a WASI command or a JavaScript export. */
export type FunctionSpec = AbiV1FunctionSpec | WasiFunctionSpec | JsFunctionSpec

/** A function of an edge-grid ABI v1 module (core/abi/README.md §1). */
export interface AbiV1FunctionSpec {
  readonly name: string
  /** Path of the .wasm file, resolved against the flow file's folder. */
  readonly wasm: string
  /** Name of the exported function to call (ABI v1: `(ptr: i32, len: i32) -> void`). */
  readonly export: string
  /** Absent: flows written before `abi` existed keep exactly their shape. */
  readonly abi?: undefined
}

/** A WASI preview 1 command (`"abi": "wasi"`): one call runs `_start` with the item on stdin (core/abi/README.md). */
export interface WasiFunctionSpec {
  readonly name: string
  readonly wasm: string
  readonly export: typeof WASI_START
  readonly abi: 'wasi'
  /** How the item crosses stdin and the outputs stdout (and fds 3…): `json` (default), `msgpack`, `bytes`. */
  readonly io: WasiIo
}

export const WASI_START = '_start'

/**
 * A JavaScript function (`"js": "fn.js"`): an export of an ES module, run inside QuickJS (core/abi/js/).
 * `wasm` holds the same resolved path as `js`: it is the module file of every kind of function (read,
 * hashed and shipped as bytes by the code protocol), so code that only moves modules needs no case for JS.
 */
export interface JsFunctionSpec {
  readonly name: string
  /** Path of the .js file, resolved against the flow file's folder. */
  readonly js: string
  readonly wasm: string
  /** The ES module export to call: a named export, or `default` for `export default`. */
  readonly export: string
  readonly abi: 'js'
}

export type SourceSpec =
  /** Integers `start, start+step, …` below `end` (end exclusive), generated lazily. */
  | { readonly kind: 'range', readonly name: string, readonly start: number, readonly end: number, readonly step: number }
  /** Values written inline in the flow file. */
  | { readonly kind: 'values', readonly name: string, readonly values: readonly unknown[] }
  /** A text file, one string item per line (resolved path). */
  | { readonly kind: 'lines', readonly name: string, readonly path: string }
  /** A JSON Lines file, one parsed value per line (resolved path). */
  | { readonly kind: 'jsonl', readonly name: string, readonly path: string }
  /**
   * Items fed by the program that submitted the flow (the edge-grid API: `grid.run(flow, { sources })`),
   * streamed from it with backpressure. Not replayable: a run with one is not kept for a restart.
   */
  | {
    readonly kind: 'client'
    readonly name: string
    /**
     * Each item's position (0, 1, …) is its tag, carried by every item derived from it (a pinned stage's
     * outputs carry its member instead) to the sinks: the API's `grid.map` puts results in input order by it.
     */
    readonly index?: boolean
  }

/**
 * A named group of network workers (grid-worker processes, browser tabs) that stages can be pinned to.
 * Embedded worker threads of the coordinator are members of no cluster.
 */
export interface ClusterSpec {
  readonly name: string
  /** A member declares every one of these labels (`grid-worker --label gpu`; browser tabs have `browser`). */
  readonly labels: readonly string[]
  /**
   * Exactly this many members, chosen in join order among eligible workers and kept while they live;
   * a worker is a member of at most one sized cluster. Undefined: every eligible worker is a member.
   */
  readonly members?: number
}

/** Where a stage's jobs may run (README, "Execution semantics": clusters). */
export interface StagePlacement {
  /** Only members of this cluster run the stage's jobs, and its outputs are tagged with the member. */
  readonly cluster?: string
  /** Every member of `cluster` runs the stage on every item (present only when true; map stages only). */
  readonly broadcast?: true
  /** Items with equal keys always go to the same member of `cluster` while it lives (map stages only). */
  readonly partition?: PartitionSpec
}

export interface PartitionSpec {
  /** `key`: items are `[key, value]` pairs, routed by key; `value`: the whole item is the key. */
  readonly by: 'key' | 'value'
}

/** Redundant execution (README, "Execution semantics": verification). */
export interface VerifySpec {
  /** Each job runs on this many distinct workers and their outputs must agree byte for byte. */
  readonly replicas: number
}

export const MIN_REPLICAS = 2
export const MAX_REPLICAS = 5

export interface StageHints extends StagePlacement {
  /** Most jobs of this stage in flight at once (all workers together); undefined: no limit. */
  readonly maxInstances?: number
  /** Per-job time limit in milliseconds. */
  readonly timeoutMs: number
  /** How many times a failed job is tried again before the flow fails. */
  readonly retries: number
  /** Run each job on several distinct workers and accept only agreeing outputs. */
  readonly verify?: VerifySpec
}

export interface MapStageSpec extends StageHints {
  /** Calls `function` once per input item; each call emits zero, one or many outputs (map, filter, flat-map). */
  readonly kind: 'map'
  readonly name: string
  readonly function: string
  /** Stream ids read by this stage; several streams are merged (fan-in). */
  readonly inputs: readonly string[]
  /**
   * A stream whose latest item every worker holds (a broadcast stream): the function receives
   * `[item, latest]` instead of `item`. Jobs wait until the stream has an item or has ended (then nil).
   */
  readonly sideInput?: string
  /** Output port names; the function's `emit(port, …)` index selects one. Default `['out']`. */
  readonly outputs: readonly string[]
}

export interface AggregateStageSpec extends StageHints {
  /**
   * Keyed aggregation: input items are `[key, value]`; values with equal keys are combined by `function`
   * (which receives an array of two or more values and emits exactly one). When every upstream stream is
   * finished, emits one `[key, combined]` item per key on its `out` port.
   */
  readonly kind: 'aggregate'
  readonly name: string
  readonly function: string
  readonly inputs: readonly string[]
  readonly outputs: readonly ['out']
}

export type StageSpec = MapStageSpec | AggregateStageSpec

/**
 * A file sink writes `<path>.partial` beside its target and renames it over the target only when the run
 * succeeds (node-peer/sinks/output-file.ts); no sink's own path may end with it.
 */
export const PARTIAL_SUFFIX = '.partial'

export type SinkSpec =
  /** Prints each item on stdout, prefixed with the sink name: `[primes] 7`. */
  | { readonly kind: 'stdout', readonly name: string, readonly inputs: readonly string[] }
  /** Appends each item as one JSON line to a file (resolved path). */
  | { readonly kind: 'jsonl', readonly name: string, readonly inputs: readonly string[], readonly path: string }
  /**
   * Assembles a PNG image from `[y, rowBytes]` items (one image row each, `width * channels` bytes),
   * written when the flow ends.
   */
  | { readonly kind: 'png', readonly name: string, readonly inputs: readonly string[], readonly path: string, readonly width: number, readonly height: number, readonly channels: 1 | 3 | 4 }

export interface FlowSpec {
  readonly name: string
  /** Absolute (or as given) path of the flow file, used in messages. */
  readonly file: string
  readonly functions: Readonly<Record<string, FunctionSpec>>
  readonly sources: Readonly<Record<string, SourceSpec>>
  readonly stages: Readonly<Record<string, StageSpec>>
  readonly sinks: Readonly<Record<string, SinkSpec>>
  /** Named groups of workers; absent or empty when no stage is pinned. */
  readonly clusters?: Readonly<Record<string, ClusterSpec>>
}

export const DEFAULT_PORT = 'out'
export const DEFAULT_TIMEOUT_MS = 30_000
export const DEFAULT_RETRIES = 2

/** `stage` and `stage.out` name the same stream; this returns the canonical form. */
export function canonicalStream (id: string): string {
  return id.endsWith(`.${DEFAULT_PORT}`) ? id.slice(0, -DEFAULT_PORT.length - 1) : id
}

/** The stream id written by `port` of `stage`. */
export function streamOf (stage: string, port: string): string {
  return port === DEFAULT_PORT ? stage : `${stage}.${port}`
}
