/**
 * The submit protocol, `/edge-grid/submit/1.0.0`: a client runs flows on a standing coordinator. One stream
 * per client conversation, opened by the client; one closed union of messages per direction, msgpack in
 * length-prefixed frames (the FrameChannel of the job protocol), every inbound message checked by a guard.
 *
 *   client                                   coordinator
 *     hello {v, nonce?}                   →
 *                                         ←  challenge {nonce, proof?}     (with a submit secret: mutual proof,
 *     proof {proof}                       →                                  core/protocol/join-proof.ts)
 *                                         ←  welcome {v}                   (or refused {kind, reason})
 *     submit {file, text, files, …}       →  the coordinator validates the flow itself (modules fetched
 *                                            from the client by sha256 over /edge-grid/code/1.0.0)
 *                                         ←  accepted {run, flow}          (or invalid {error} / refused)
 *     attach {run}                        →  re-attach to a run of this client (after a disconnect, or
 *                                         ←  attached {run, flow, file, text, files}   from another process)
 *     list                                →
 *                                         ←  runs {runs}
 *   while a run is attached:
 *                                         ←  source-open {cursor, source, skip}   the client reads its file
 *                                         ←  pull {cursor, max}                    source; one pull at a time
 *     items {cursor, items, end, done, total?} →                                   per cursor (backpressure)
 *                                         ←  sink {seq, op, sink, …}   open (position: resume there) / write /
 *     ack {seq, position?, keepsWrites?}  →                             close / commit, each acknowledged once
 *     sink-failed {seq, error}            →                             done, so nothing is lost or doubled
 *                                         ←  progress {…}
 *     cancel                              →
 *                                         ←  done {summary}    the run ended (ok or failed)
 *                                         ←  cancelled {reason}
 */
import type { ErrorData } from '../jobs.js'
import { isArrayOf, isBytes, isCount, isId, isObject, isShortString } from './guards.js'

export const SUBMIT_PROTOCOL = '/edge-grid/submit/1.0.0'
export const SUBMIT_PROTOCOL_VERSION = 1
/** Largest frame either way: a flow file, a batch of source items or of sink items. */
export const MAX_SUBMIT_FRAME_BYTES = 16 * 1024 * 1024
/** Largest flow file accepted. */
export const MAX_FLOW_TEXT = 1024 * 1024
/** Most files a flow may name (modules and input files). */
export const MAX_FLOW_FILES = 1024
/** Most items asked for in one pull, and sent in one `items` or `sink` message. */
export const MAX_ITEMS_PER_MESSAGE = 4096
const MAX_PATH = 4096

/**
 * A file the flow names, as the client resolved it: a module (`hash`: its sha256, fetched by the coordinator
 * over the code protocol) or an input file of a lines/jsonl source (`hash`: its content's sha256, which binds
 * the run's journal to it; the coordinator never fetches it: the client streams its items).
 */
export type FlowFileEntry = [path: string, kind: 'module' | 'input', hash: string]

/** One run as `--runs` lists it. */
export interface RunListing {
  readonly run: string
  readonly flow: string
  /** running, waiting (for its client), done, failed, cancelled */
  readonly state: string
  readonly jobsDone: number
  readonly queued: number
  readonly submittedAt: number
  readonly detach: boolean
}

/** A run's progress as its client sees it. */
export interface RunProgressMessage {
  readonly jobsDone: number
  readonly jobsOut: number
  readonly queued: number
  readonly sourceFraction?: number
  readonly workers: number
}

export type SinkOp =
  | { readonly op: 'open', readonly position?: number }
  | { readonly op: 'write', readonly items: readonly Uint8Array[], readonly tags?: ReadonlyArray<string | null> }
  | { readonly op: 'close', readonly ok: boolean }
  | { readonly op: 'commit' }

export type ClientMessage =
  | { readonly t: 'hello', readonly v: number, readonly nonce?: Uint8Array }
  | { readonly t: 'proof', readonly proof: Uint8Array }
  | {
    readonly t: 'submit'
    /** The flow file's absolute path on the client (names it in messages; paths in it resolve against it). */
    readonly file: string
    readonly text: string
    readonly files: readonly FlowFileEntry[]
    readonly priority: number
    readonly detach: boolean
  }
  | { readonly t: 'attach', readonly run: string }
  | { readonly t: 'list' }
  | { readonly t: 'cancel' }
  | { readonly t: 'items', readonly cursor: number, readonly items: readonly Uint8Array[], readonly end: boolean, readonly done: number, readonly total?: number }
  /** A source could not be read (a malformed JSONL line, …): the run fails with this error. */
  | { readonly t: 'source-failed', readonly cursor: number, readonly error: ErrorData }
  | { readonly t: 'ack', readonly seq: number, readonly position?: number, readonly keepsWrites?: boolean }
  | { readonly t: 'sink-failed', readonly seq: number, readonly error: ErrorData }

export type SubmitRefusalKind =
  | 'version' | 'no-secret' | 'wrong-proof' | 'not-allowed' | 'proof-timeout' | 'limit' | 'unknown-run' | 'not-yours' | 'busy' | 'stopping'

export type GridMessage =
  | { readonly t: 'challenge', readonly nonce: Uint8Array, readonly proof?: Uint8Array }
  | { readonly t: 'welcome', readonly v: number }
  | { readonly t: 'refused', readonly kind: SubmitRefusalKind, readonly reason: string }
  /** The flow did not validate on the coordinator (a FlowValidationError, or a module it could not fetch). */
  | { readonly t: 'invalid', readonly error: ErrorData }
  | { readonly t: 'accepted', readonly run: string, readonly flow: string }
  | { readonly t: 'attached', readonly run: string, readonly flow: string, readonly file: string, readonly text: string, readonly files: readonly FlowFileEntry[] }
  | { readonly t: 'runs', readonly runs: readonly RunListing[] }
  | { readonly t: 'source-open', readonly cursor: number, readonly source: string, readonly skip: number }
  | { readonly t: 'pull', readonly cursor: number, readonly max: number }
  | ({ readonly t: 'sink', readonly seq: number, readonly sink: string } & SinkOp)
  | ({ readonly t: 'progress' } & RunProgressMessage)
  /** `summary`: the run's RunSummary as data (shown and written to --report as it is). */
  | { readonly t: 'done', readonly ok: boolean, readonly summary: Record<string, unknown> }
  | { readonly t: 'cancelled', readonly reason: string }

// ---- guards ----

const isNonce = (v: unknown): v is Uint8Array => isBytes(v, 64) && v.length >= 16
const isPath = (v: unknown): v is string => isShortString(v, MAX_PATH) && v.length > 0
const isHash = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)
const isItems = (v: unknown): v is Uint8Array[] => isArrayOf(v, MAX_ITEMS_PER_MESSAGE, (x): x is Uint8Array => x instanceof Uint8Array)
const isRunId = (v: unknown): v is string => isShortString(v, 64) && v.length > 0
const isErrorData = (v: unknown): v is ErrorData => isObject(v) && isShortString(v.name) && isShortString(v.message, 8192)
const isFileEntry = (v: unknown): v is FlowFileEntry =>
  Array.isArray(v) && v.length === 3 && isPath(v[0]) && (v[1] === 'module' || v[1] === 'input') && isHash(v[2])
const isFiles = (v: unknown): v is FlowFileEntry[] => isArrayOf(v, MAX_FLOW_FILES, isFileEntry)

export function isClientMessage (v: unknown): v is ClientMessage {
  if (!isObject(v)) return false
  switch (v.t) {
    case 'hello': return isCount(v.v, 1000) && (v.nonce === undefined || isNonce(v.nonce))
    case 'proof': return isBytes(v.proof, 64)
    case 'submit': return isPath(v.file) && isShortString(v.text, MAX_FLOW_TEXT) && isFiles(v.files) &&
      isCount(v.priority, 100) && v.priority >= 1 && typeof v.detach === 'boolean'
    case 'attach': return isRunId(v.run)
    case 'list': case 'cancel': return true
    case 'items': return isId(v.cursor) && isItems(v.items) && typeof v.end === 'boolean' && isId(v.done) && (v.total === undefined || isId(v.total))
    case 'source-failed': return isId(v.cursor) && isErrorData(v.error)
    case 'ack': return isId(v.seq) && (v.position === undefined || isId(v.position)) && (v.keepsWrites === undefined || typeof v.keepsWrites === 'boolean')
    case 'sink-failed': return isId(v.seq) && isErrorData(v.error)
    default: return false
  }
}

const REFUSAL_KINDS = new Set<string>(['version', 'no-secret', 'wrong-proof', 'not-allowed', 'proof-timeout', 'limit', 'unknown-run', 'not-yours', 'busy', 'stopping'])

function isListing (v: unknown): v is RunListing {
  return isObject(v) && isRunId(v.run) && isShortString(v.flow) && isShortString(v.state, 32) && isId(v.jobsDone) && isId(v.queued) && isId(v.submittedAt) && typeof v.detach === 'boolean'
}

function isSinkOp (v: Record<string, unknown>): boolean {
  switch (v.op) {
    case 'open': return v.position === undefined || isId(v.position)
    case 'write': return isItems(v.items) && (v.tags === undefined || isArrayOf(v.tags, MAX_ITEMS_PER_MESSAGE, (x): x is string | null => x === null || isShortString(x)))
    case 'close': return typeof v.ok === 'boolean'
    case 'commit': return true
    default: return false
  }
}

export function isGridMessage (v: unknown): v is GridMessage {
  if (!isObject(v)) return false
  switch (v.t) {
    case 'challenge': return isNonce(v.nonce) && (v.proof === undefined || isBytes(v.proof, 64))
    case 'welcome': return isCount(v.v, 1000)
    case 'refused': return typeof v.kind === 'string' && REFUSAL_KINDS.has(v.kind) && isShortString(v.reason, 2048)
    case 'invalid': return isErrorData(v.error)
    case 'accepted': return isRunId(v.run) && isShortString(v.flow)
    case 'attached': return isRunId(v.run) && isShortString(v.flow) && isPath(v.file) && isShortString(v.text, MAX_FLOW_TEXT) && isFiles(v.files)
    case 'runs': return isArrayOf(v.runs, 10_000, isListing)
    case 'source-open': return isId(v.cursor) && isShortString(v.source) && isId(v.skip)
    case 'pull': return isId(v.cursor) && isCount(v.max, MAX_ITEMS_PER_MESSAGE) && v.max > 0
    case 'sink': return isId(v.seq) && isShortString(v.sink) && isSinkOp(v)
    case 'progress': return isId(v.jobsDone) && isId(v.jobsOut) && isId(v.queued) && isId(v.workers) &&
      (v.sourceFraction === undefined || (typeof v.sourceFraction === 'number' && v.sourceFraction >= 0 && v.sourceFraction <= 1))
    case 'done': return typeof v.ok === 'boolean' && isObject(v.summary)
    case 'cancelled': return isShortString(v.reason, 2048)
    default: return false
  }
}
