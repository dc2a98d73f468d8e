/**
 * Jobs as executors see them: a small payload (id, function reference, input bytes) kept apart from the
 * coordinator's bookkeeping (attempts, leases, where outputs go), which lives in core/run.
 */
import type { Emitted } from './abi/abi.js'
import type { WasiIo } from './abi/wasi/io.js'

/** A function to call: the module by content hash (sha256, hex) and the export name. */
export interface FunctionRef {
  readonly module: string
  readonly export: string
  /**
   * Present for a WASI command (`"abi": "wasi"`; core/abi/README.md): how the item crosses stdin and the
   * outputs stdout. Absent: an ABI v1 function. Optional, so ABI v1 jobs keep their old shape everywhere.
   */
  readonly wasi?: WasiIo
  /**
   * True for a JavaScript function (`"js": "fn.js"`; core/abi/README.md, "JavaScript functions"): `module`
   * is the hash of its source text and `export` the ES module export to call. Absent otherwise.
   */
  readonly js?: true
}

export interface Job {
  readonly id: number
  readonly fn: FunctionRef
  /** msgpack-encoded input item. */
  readonly input: Uint8Array
  /** Wall-clock limit for this one call, in milliseconds. */
  readonly timeoutMs: number
  /**
   * The side input (a stream id) whose current value the function receives with the item: whoever runs the
   * job calls the function on `[input, value]` (core/run/side-inputs.ts). Executors never see this field.
   */
  readonly side?: string
  /**
   * A chunk of a range (`'range'`, core/run/chunks.ts: `input` is msgpack `[start, count, step]`) or of items
   * (`'items'`, core/run/item-chunks.ts: `input` holds them, packed): whoever runs the job calls the function
   * on each item in order, failing the whole chunk if one fails. Its outcome holds every output in item order,
   * and `ms`, the time the chunk ran.
   */
  readonly chunk?: 'range' | 'items'
  /**
   * Chunks only: ports whose outputs
   * whoever runs the chunk folds per key with an aggregate's combine function before answering
   * (core/run/combiner.ts). Executors see it with the job. Never on a chained chunk.
   */
  readonly combine?: readonly JobCombiner[]
  /**
   * A chained chunk (core/run/chain-plan.ts; range chunks only): the functions of the stages chained after
   * this one, in order. Each item goes through `fn` and then each of these, every output feeding the next
   * function; the outcome holds the last function's outputs, and `emitted` how many outputs each earlier
   * function gave.
   */
  readonly chain?: readonly FunctionRef[]
}

/** A port of a chunk's outputs and the aggregate combine function its `[key, value]` pairs are folded with. */
export interface JobCombiner {
  readonly port: number
  readonly fn: FunctionRef
}

/** An error that crossed a thread or network boundary as data (Comlink style), rebuilt by name. */
export interface ErrorData {
  readonly name: string
  readonly message: string
}

export type JobOutcome =
  /**
   * `ms`: only for a chunk, how long it ran on its thread (the coordinator sizes the next chunks by it).
   * `emitted`: only for a chained chunk, the outputs of each function before the last (`fn`, then the chain's).
   * `packed`: only for a chunk, its outputs in the packed layout (core/protocol/packed-outputs.ts) when whoever
   * made the outcome had them so; `outputs` then unpacks them on first read (chunkOutcome). Hot paths (the
   * wire, a sink reading a whole chunk) take the packed bytes as they are: no object per output.
   */
  | { readonly id: number, readonly ok: true, readonly outputs: readonly Emitted[], readonly ms?: number, readonly emitted?: readonly number[], readonly packed?: Uint8Array }
  /**
   * `item`: only for a chunk, the index of the item that failed (the items before it ran, those after not).
   * `stage`: only for a chained chunk, the position in the chain of the function that failed (0 = `fn`).
   */
  | { readonly id: number, readonly ok: false, readonly error: ErrorData, readonly item?: number, readonly stage?: number }

/**
 * Runs jobs on some pool of sandboxes (worker_threads in Node, Web Workers in the browser).
 * Implementations must: compile each module once; run a batch's jobs and report one outcome per job;
 * enforce `timeoutMs` by stopping the sandbox that runs an overdue job (the job fails with
 * `JobTimeoutError`, its batch-mates are run again transparently, since functions are pure).
 */
export interface JobExecutor {
  /** How many jobs can run at the same time (threads). */
  readonly slots: number
  /** Makes a module known by its content hash; rejects with ModuleRejectedError if it breaks the ABI. */
  addModule (hash: string, bytes: Uint8Array): Promise<void>
  hasModule (hash: string): boolean
  /** Runs a batch; resolves with one outcome per job (any order). */
  run (batch: readonly Job[]): Promise<JobOutcome[]>
  close (): Promise<void>
  /**
   * Optional: the jobs for which `recalled(id)` is true (queued or running) get a JobRecalledError outcome at
   * once and their batches resolve as usual; a sandbox running a recalled job is stopped if the executor can.
   * Executors without it run recalled jobs to their end (their outcomes are dropped by whoever asked).
   */
  recall?: (recalled: (id: number) => boolean) => void
}
