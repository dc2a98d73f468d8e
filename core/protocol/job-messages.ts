/**
 * The job protocol, `/edge-grid/jobs/1.0.0`: one long-lived stream per worker, opened by the worker to the
 * coordinator it joined. One closed union of messages per direction, msgpack-encoded, length-prefixed
 * (core/protocol/frames.ts), batched per send.
 *
 * Flow control is pull with credits: the worker grants credits (how many more jobs it will take); the
 * coordinator never sends more jobs than granted. Jobs and results travel as compact tuples because
 * tiny jobs are the common case and every byte and object counts.
 *
 *   worker                         coordinator
 *     hello {name, threads, …}  →
 *                               ←  welcome {flow, run}
 *     pull {credits}            →
 *                               ←  jobs [[id, module, export, input, timeoutMs(, kind)], …]  (the 6th element only for WASI commands,
 *                                   their io mode, and JavaScript functions, "js"); `chunks`: ids of the jobs
 *                                   that are range chunks (core/run/chunks.ts), only to workers with the feature;
 *                                   `items`: ids of item chunks (core/run/item-chunks.ts); `combine`: per function,
 *                                   the chunks whose outputs on a port the worker folds with it (core/run/combiner.ts);
 *                                   `chains`: [[fns after the job's own, job ids], …] for chained chunks
 *                                   (core/run/chain-plan.ts); each only to workers with its feature (worker-caps.ts)
 *     results [[id, 1, [[port, bytes], …]] | [id, 0, name, message(, item(, stage))] | [id, 2, packed outputs, ms(, emitted)], …] + pull
 *                                  (the last for a chunk: its outputs in one byte string, packed-outputs.ts;
 *                                   `emitted` for a chained chunk: the outputs of each stage before the tail)
 *     bye                       →  (graceful leave: jobs not reported are handed back)
 *                               ←  side {name, version, value}  (a side input's value, sent before the
 *                                   first jobs that need it; jobs name their side input in `side`)
 *                               ←  done {ok}  (the flow ended; the worker may stay for the next)
 *                               ←  recall {ids}  (jobs of a run that ended, e.g. cancelled: only to workers with
 *                                   the feature; ids it holds no more are ignored)
 *     dropped {ids}             →  (recalled jobs it will not answer: dropped from its queue or stopped while
 *                                   running; each job sent is answered once, by a result or here)
 *
 * With a join secret (optional; core/protocol/join-proof.ts) the proof goes both ways:
 *     hello {…, nonce}          →  (only a worker with a secret sends a nonce)
 *                               ←  challenge {nonce, proof}  proof = HMAC(secret, coordinator label ‖ worker's
 *                                   nonce ‖ coordinator peer id ‖ worker peer id), only when the hello had one
 *     proof {proof}             →  HMAC(secret, worker label ‖ challenge nonce ‖ worker peer id ‖ coordinator peer id)
 * The coordinator sends `welcome` (and any job) only after a valid worker proof; a missing or wrong one gets
 * `refused` and the stream is closed. A worker with a secret answers only a challenge whose proof it verified:
 * a challenge without one (a coordinator older than this field), a wrong one, or anything but a challenge
 * (`welcome` from a coordinator without a secret) makes it say `bye` and leave without answering.
 * All of it is optional members and fields of the v1 unions: peers without a secret never see them (an old
 * worker meeting a coordinator with a secret rejects the unknown `challenge` and leaves).
 */
import { isArrayOf, isCount, isId, isLabels, isObject, isShortString } from './guards.js'
import type { Emitted } from '../abi/abi.js'
import type { FunctionRef, Job, JobOutcome } from '../jobs.js'
import type { WasiIo } from '../abi/wasi/io.js'
import { WASI_IO_MODES } from '../abi/wasi/io.js'
import { chunkOutcome, isPackedOutputs, packOutputs } from './packed-outputs.js'
import { MAX_CHUNK_ITEMS } from '../run/chunks.js'
import { MAX_CHAIN_STAGES } from '../run/chain-chunk.js'

export const JOB_PROTOCOL = '/edge-grid/jobs/1.0.0'
export const JOB_PROTOCOL_VERSION = 1
/** Largest frame accepted on the job stream: a batch of jobs or results, never a whole data set. */
export const MAX_JOB_FRAME_BYTES = 32 * 1024 * 1024

/**
 * `kind`: only for a WASI command's jobs (its io mode) and a JavaScript function's (`"js"`); ABI v1 jobs keep
 * the 5-tuple older peers know. A worker from before JS functions refuses a message with a "js" job.
 */
export type WireJob = [id: number, module: string, exportName: string, input: Uint8Array, timeoutMs: number, kind?: WasiIo | typeof JS_KIND]

/** The 6th element of a JavaScript function's job tuple. */
export const JS_KIND = 'js'
export type WireOutcome =
  | [id: number, ok: 1, outputs: Array<[port: number, bytes: Uint8Array]>]
  /** `item`: a chunk's failing item; `stage`: a chained chunk's stage (chain position) it failed in. */
  | [id: number, ok: 0, errorName: string, errorMessage: string, item?: number, stage?: number]
  /**
   * A chunk's outcome: its outputs packed (packed-outputs.ts) and the ms it ran on its thread; a chained
   * chunk's also has the outputs of each stage before its tail.
   */
  | [id: number, chunk: 2, outputs: Uint8Array, ms: number, emitted?: number[]]

/** A function of a chain on the wire: as in a job tuple, module, export and (WASI io mode or "js"). */
export type WireFn = [module: string, exportName: string, kind?: WasiIo | typeof JS_KIND]

export interface WorkerInfo {
  readonly name: string
  readonly threads: number
  readonly platform: string
  readonly labels: readonly string[]
}

/** What a worker can do beyond version 1 of the protocol, announced in its hello (absent: nothing). */
export const FEATURE_SIDE_INPUTS = 'side-inputs'
/** The worker runs range chunks (jobs listed in a `jobs` message's `chunks`) and reports them packed. */
export const FEATURE_CHUNKS = 'chunks'
/** The worker runs item chunks (`items`) and combines a chunk's outputs (`combine`). */
export const FEATURE_ITEM_CHUNKS = 'item-chunks'
/** The worker runs chained chunks (a `jobs` message's `chains`) and reports `emitted` and a failing `stage`. */
export const FEATURE_CHAINS = 'chains'

/** A `jobs` message's combiner: the chunks (ids) whose outputs on `port` are folded with the function. */
export type WireCombine = [jobIds: number[], port: number, module: string, exportName: string, kind?: WasiIo | typeof JS_KIND]
/** The worker drops recalled jobs (`recall`) and says which (`dropped`). */
export const FEATURE_RECALL = 'recall'
/**
 * Ids in one `recall` or `dropped` message: what a worker may hold at once (the coordinator's in-flight cap,
 * core/peer/worker-session.ts); the coordinator splits a longer recall.
 */
export const MAX_RECALL_IDS = 16_384

export type WorkerMessage =
  /** `nonce`: only from a worker with a join secret, which wants the coordinator's proof in the challenge. */
  | { readonly t: 'hello', readonly v: number, readonly worker: WorkerInfo, readonly features?: readonly string[], readonly nonce?: Uint8Array }
  | { readonly t: 'pull', readonly credits: number }
  /** `busyMs`: the time the worker's thread spent on the batch these results end (absent from older workers). */
  | { readonly t: 'results', readonly results: readonly WireOutcome[], readonly busyMs?: number }
  | { readonly t: 'bye' }
  /** The answer to a `challenge`: proves the worker knows the join secret without sending it. */
  | { readonly t: 'proof', readonly proof: Uint8Array }
  /** Recalled jobs this worker dropped: no result will come for them. */
  | { readonly t: 'dropped', readonly ids: readonly number[] }

export type CoordinatorMessage =
  | { readonly t: 'welcome', readonly v: number, readonly flow: string, readonly run: string }
  /** `side`: for jobs of stages with a side input, [side input name, ids of the jobs that read it]. */
  | {
    readonly t: 'jobs', readonly jobs: readonly WireJob[], readonly side?: ReadonlyArray<[name: string, jobIds: number[]]>, readonly chunks?: readonly number[],
    readonly items?: readonly number[], readonly combine?: readonly WireCombine[], readonly chains?: ReadonlyArray<[fns: WireFn[], jobIds: number[]]>
  }
  /** The value of a side input (msgpack), newer versions replace older ones. Sent only to workers with the feature. */
  | { readonly t: 'side', readonly name: string, readonly version: number, readonly value: Uint8Array }
  | { readonly t: 'done', readonly ok: boolean }
  | { readonly t: 'refused', readonly reason: string }
  /**
   * This coordinator has a join secret: answer with a `proof` before anything else is sent. `proof`: the
   * coordinator's own proof over the hello's nonce (present whenever the hello had one).
   */
  | { readonly t: 'challenge', readonly nonce: Uint8Array, readonly proof?: Uint8Array }
  /** Drop these jobs (their run ended: cancelled, failed, or done without them). */
  | { readonly t: 'recall', readonly ids: readonly number[] }

export function jobToWire (job: Job): WireJob {
  const wire: WireJob = [job.id, job.fn.module, job.fn.export, job.input, job.timeoutMs]
  if (job.fn.wasi !== undefined) wire.push(job.fn.wasi)
  else if (job.fn.js === true) wire.push(JS_KIND)
  return wire
}

export function jobFromWire ([id, module, exportName, input, timeoutMs, kind]: WireJob): Job {
  if (kind === JS_KIND) return { id, fn: { module, export: exportName, js: true }, input, timeoutMs }
  return { id, fn: kind === undefined ? { module, export: exportName } : { module, export: exportName, wasi: kind }, input, timeoutMs }
}

export function outcomeToWire (outcome: JobOutcome): WireOutcome {
  if (outcome.ok && outcome.emitted !== undefined && outcome.ms !== undefined) return [outcome.id, 2, outcome.packed ?? packOutputs(outcome.outputs), outcome.ms, [...outcome.emitted]]
  if (outcome.ok && outcome.ms !== undefined) return [outcome.id, 2, outcome.packed ?? packOutputs(outcome.outputs), outcome.ms]
  if (outcome.ok) return [outcome.id, 1, outcome.outputs.map(o => [o.port, o.bytes])]
  if (outcome.item !== undefined && outcome.stage !== undefined) return [outcome.id, 0, outcome.error.name, outcome.error.message, outcome.item, outcome.stage]
  if (outcome.item !== undefined) return [outcome.id, 0, outcome.error.name, outcome.error.message, outcome.item]
  return [outcome.id, 0, outcome.error.name, outcome.error.message]
}

export function outcomeFromWire (wire: WireOutcome): JobOutcome {
  if (wire[1] === 1) return { id: wire[0], ok: true, outputs: wire[2].map(([port, bytes]): Emitted => ({ port, bytes })) }
  if (wire[1] === 2) return chunkOutcome(wire[0], wire[2], wire[3], wire[4])
  const error = { name: wire[2], message: wire[3] }
  if (wire[4] === undefined) return { id: wire[0], ok: false, error }
  return wire[5] === undefined ? { id: wire[0], ok: false, error, item: wire[4] } : { id: wire[0], ok: false, error, item: wire[4], stage: wire[5] }
}

export function fnToWire (fn: FunctionRef): WireFn {
  if (fn.wasi !== undefined) return [fn.module, fn.export, fn.wasi]
  if (fn.js === true) return [fn.module, fn.export, JS_KIND]
  return [fn.module, fn.export]
}

export function fnFromWire ([module, exportName, kind]: WireFn): FunctionRef {
  if (kind === JS_KIND) return { module, export: exportName, js: true }
  return kind === undefined ? { module, export: exportName } : { module, export: exportName, wasi: kind }
}

// ---- guards: everything from the network is checked before it is trusted ----

/** A nonce of either side: long enough to be unguessable, short enough to cost nothing. */
const isNonce = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length >= 16 && v.length <= 64
/** An HMAC-SHA256 proof is 32 bytes; the check says whether it is right, the guard only bounds it. */
const isProof = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length <= 64

/** A batch's time on a thread, in ms: a finite number from 0 to a day. */
const isDuration = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 86_400_000

/** The ids of a `recall` or `dropped`: at least one, at most MAX_RECALL_IDS. */
const isRecallIds = (v: unknown): v is number[] => isArrayOf(v, MAX_RECALL_IDS, isId) && v.length > 0

function isWireOutcome (v: unknown): v is WireOutcome {
  if (!Array.isArray(v) || !isId(v[0])) return false
  if (v[1] === 1) {
    return v.length === 3 && Array.isArray(v[2]) && v[2].every(o => Array.isArray(o) && o.length === 2 && isCount(o[0], 255) && o[1] instanceof Uint8Array)
  }
  if (v[1] === 2) {
    return (v.length === 4 || (v.length === 5 && Array.isArray(v[4]) && v[4].length < MAX_CHAIN_STAGES && v[4].every(n => isCount(n)))) &&
      v[2] instanceof Uint8Array && isPackedOutputs(v[2]) && typeof v[3] === 'number' && v[3] >= 0 && v[3] <= 86_400_000
  }
  return v[1] === 0 && (v.length === 4 || (v.length === 5 && isCount(v[4], MAX_CHUNK_ITEMS - 1)) || (v.length === 6 && isCount(v[4], MAX_CHUNK_ITEMS - 1) && isCount(v[5], MAX_CHAIN_STAGES - 1))) &&
    isShortString(v[2]) && isShortString(v[3], 8192)
}

function isWireFn (v: unknown): v is WireFn {
  return Array.isArray(v) && (v.length === 2 || (v.length === 3 && (WASI_IO_MODES.includes(v[2]) || v[2] === JS_KIND))) && isShortString(v[0], 128) && isShortString(v[1])
}

/** A chain lists the functions after its head (1 to MAX_CHAIN_STAGES - 1) and the ids of its jobs. */
function isWireChain (v: unknown): v is [WireFn[], number[]] {
  return Array.isArray(v) && v.length === 2 && Array.isArray(v[0]) && v[0].length >= 1 && v[0].length < MAX_CHAIN_STAGES && v[0].every(isWireFn) &&
    Array.isArray(v[1]) && v[1].every(isId)
}

function isWireCombine (v: unknown): v is WireCombine {
  return Array.isArray(v) && (v.length === 4 || (v.length === 5 && (WASI_IO_MODES.includes(v[4]) || v[4] === JS_KIND))) &&
    Array.isArray(v[0]) && v[0].length <= 1024 && v[0].every(isId) && isCount(v[1], 255) && isShortString(v[2], 128) && isShortString(v[3])
}

function isWireJob (v: unknown): v is WireJob {
  return Array.isArray(v) && (v.length === 5 || (v.length === 6 && (WASI_IO_MODES.includes(v[5]) || v[5] === JS_KIND))) && isId(v[0]) && isShortString(v[1], 128) && isShortString(v[2]) && v[3] instanceof Uint8Array && isCount(v[4], 86_400_000)
}

export function isWorkerMessage (v: unknown): v is WorkerMessage {
  if (!isObject(v)) return false
  switch (v.t) {
    case 'hello': {
      const w = v.worker
      return isCount(v.v, 1000) && isObject(w) && isShortString(w.name) && isCount(w.threads, 4096) && isShortString(w.platform) &&
        isLabels(w.labels) && (v.features === undefined || isLabels(v.features)) &&
        (v.nonce === undefined || isNonce(v.nonce))
    }
    case 'pull': return isCount(v.credits, 1_000_000)
    case 'results': return Array.isArray(v.results) && v.results.every(isWireOutcome) && (v.busyMs === undefined || isDuration(v.busyMs))
    case 'bye': return true
    case 'proof': return isProof(v.proof)
    case 'dropped': return isRecallIds(v.ids)
    default: return false
  }
}

export function isCoordinatorMessage (v: unknown): v is CoordinatorMessage {
  if (!isObject(v)) return false
  switch (v.t) {
    case 'welcome': return isCount(v.v, 1000) && isShortString(v.flow) && isShortString(v.run)
    case 'jobs': return Array.isArray(v.jobs) && v.jobs.every(isWireJob) &&
      (v.side === undefined || (Array.isArray(v.side) && v.side.every(s => Array.isArray(s) && s.length === 2 && isShortString(s[0]) && Array.isArray(s[1]) && s[1].every(isId)))) &&
      (v.chunks === undefined || (Array.isArray(v.chunks) && v.chunks.length <= v.jobs.length && v.chunks.every(isId))) &&
      (v.items === undefined || (Array.isArray(v.items) && v.items.length <= v.jobs.length && v.items.every(isId))) &&
      (v.combine === undefined || (Array.isArray(v.combine) && v.combine.length <= 64 && v.combine.every(isWireCombine))) &&
      (v.chains === undefined || (Array.isArray(v.chains) && v.chains.length <= v.jobs.length && v.chains.every(isWireChain)))
    case 'side': return isShortString(v.name) && isId(v.version) && v.value instanceof Uint8Array
    case 'done': return typeof v.ok === 'boolean'
    case 'refused': return isShortString(v.reason, 1024)
    case 'challenge': return isNonce(v.nonce) && (v.proof === undefined || isProof(v.proof))
    case 'recall': return isRecallIds(v.ids)
    default: return false
  }
}
