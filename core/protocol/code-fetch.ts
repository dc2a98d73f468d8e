/**
 * Code shipping, `/edge-grid/code/1.0.0`: a worker asks a peer (its coordinator) for a module by content
 * hash and checks the hash of what it gets, so a module can come from any peer without trusting it.
 * One stream per request: request frame `{ hash }`, the client closes its side, one response frame
 * `{ ok: true, bytes } | { ok: false, error }`, the server closes its side. Shaped like libp2p's
 * protocol-fetch: stream limits, a default timeout, errors as classes.
 */
import type { AbortOptions, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { sha256Hex } from '../abi/host.js'
import { decodeValue, encodeValue } from '../codec.js'
import { CodeHashMismatchError, CodeUnavailableError, FrameTooLargeError, ProtocolViolationError } from './errors.js'
import { encodeFrame } from './frames.js'
import { isObject } from './guards.js'
import { readFrame } from './read-frame.js'

export const CODE_PROTOCOL = '/edge-grid/code/1.0.0'
/** Largest module shipped: functions are small (KBs to a few MB); the cap bounds what a peer can make us buffer. */
export const MAX_CODE_BYTES = 16 * 1024 * 1024
/** A request is a hash and a few bytes of msgpack around it. */
export const MAX_CODE_REQUEST_BYTES = 256
/** Room for the msgpack envelope around the module bytes. */
const RESPONSE_OVERHEAD_BYTES = 64
export const CODE_FETCH_TIMEOUT_MS = 30_000
/** Every worker of a flow asks for each module at about the same time; each connection asks a few at once. */
export const MAX_CODE_INBOUND_STREAMS = 32
export const MAX_CODE_OUTBOUND_STREAMS = 8

export interface CodeRequest { readonly hash: string }
export type CodeResponse =
  | { readonly ok: true, readonly bytes: Uint8Array }
  | { readonly ok: false, readonly error: string }

/** A module's bytes by content hash, or undefined when this peer does not have it. */
export type CodeLookup = (hash: string) => Uint8Array | undefined | Promise<Uint8Array | undefined>

export interface ServeCodeInit {
  /** per request, ms (default CODE_FETCH_TIMEOUT_MS) */
  readonly timeoutMs?: number
  readonly maxInboundStreams?: number
  /** serve over relayed (data-limited) connections too; default false */
  readonly runOnLimitedConnection?: boolean
}

export interface FetchCodeOptions extends AbortOptions {
  readonly maxOutboundStreams?: number
  readonly runOnLimitedConnection?: boolean
}

const HASH = /^[0-9a-f]{64}$/

export function isContentHash (v: unknown): v is string {
  return typeof v === 'string' && HASH.test(v)
}

function isCodeRequest (v: unknown): v is CodeRequest {
  return isObject(v) && isContentHash(v.hash)
}

function isCodeResponse (v: unknown): v is CodeResponse {
  return isObject(v) && ((v.ok === true && v.bytes instanceof Uint8Array) || (v.ok === false && typeof v.error === 'string'))
}

/** Answers code requests with `lookup`. Returns a function that stops serving. */
export async function serveCode (node: Pick<Libp2p, 'handle' | 'unhandle'>, lookup: CodeLookup, init: ServeCodeInit = {}): Promise<() => Promise<void>> {
  const timeoutMs = init.timeoutMs ?? CODE_FETCH_TIMEOUT_MS
  await node.handle(CODE_PROTOCOL, async (stream) => {
    await answer(stream, lookup, AbortSignal.timeout(timeoutMs))
  }, {
    maxInboundStreams: init.maxInboundStreams ?? MAX_CODE_INBOUND_STREAMS,
    runOnLimitedConnection: init.runOnLimitedConnection ?? false
  })
  return async () => { await node.unhandle(CODE_PROTOCOL) }
}

async function answer (stream: Stream, lookup: CodeLookup, signal: AbortSignal): Promise<void> {
  try {
    const request = decodeValue(await readFrame(stream, { maxFrameBytes: MAX_CODE_REQUEST_BYTES, signal }))
    if (!isCodeRequest(request)) throw new ProtocolViolationError('code request is not { hash: <sha256 hex> }')
    let response: CodeResponse
    try {
      const bytes = await lookup(request.hash)
      if (bytes == null) response = { ok: false, error: `no module with hash ${request.hash}` }
      else if (bytes.byteLength > MAX_CODE_BYTES) response = { ok: false, error: `module is ${bytes.byteLength} bytes, more than the ${MAX_CODE_BYTES} shipped` }
      else response = { ok: true, bytes }
    } catch (err) {
      response = { ok: false, error: `lookup failed: ${(err as Error).message}` }
    }
    if (!stream.send(encodeFrame(encodeValue(response)))) await stream.onDrain({ signal })
    await stream.close({ signal })
  } catch (err) {
    stream.log.error('code request failed - %e', err)
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}

/**
 * Fetches the module with content hash `hash` from `peer` and verifies it. Rejects with
 * CodeUnavailableError (the peer does not have it), CodeHashMismatchError (it sent other bytes),
 * FrameTooLargeError (over MAX_CODE_BYTES), ProtocolViolationError, UnexpectedEndError, or a
 * TimeoutError/AbortError from the signal (default: CODE_FETCH_TIMEOUT_MS).
 */
export async function fetchCode (node: Pick<Libp2p, 'dialProtocol'>, peer: PeerId, hash: string, options: FetchCodeOptions = {}): Promise<Uint8Array> {
  if (!isContentHash(hash)) throw new TypeError(`not a sha256 content hash: ${hash}`)
  const signal = options.signal ?? AbortSignal.timeout(CODE_FETCH_TIMEOUT_MS)
  const stream = await node.dialProtocol(peer, CODE_PROTOCOL, {
    signal,
    maxOutboundStreams: options.maxOutboundStreams ?? MAX_CODE_OUTBOUND_STREAMS,
    runOnLimitedConnection: options.runOnLimitedConnection ?? false
  })
  try {
    stream.send(encodeFrame(encodeValue({ hash } satisfies CodeRequest)))
    await stream.close({ signal })
    const frame = await readFrame(stream, { maxFrameBytes: MAX_CODE_BYTES + RESPONSE_OVERHEAD_BYTES, signal })
    const response = decodeValue(frame)
    if (!isCodeResponse(response)) throw new ProtocolViolationError('code response is not { ok, bytes | error }')
    if (!response.ok) throw new CodeUnavailableError(hash, response.error)
    if (response.bytes.byteLength > MAX_CODE_BYTES) throw new FrameTooLargeError(response.bytes.byteLength, MAX_CODE_BYTES)
    const actual = await sha256Hex(response.bytes)
    if (actual !== hash) throw new CodeHashMismatchError(hash, actual)
    return response.bytes
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}
