/**
 * A typed, batched message channel over one libp2p v3 stream (Node and browser alike): msgpack values
 * (core/codec.ts) in length-prefixed frames (frames.ts).
 *
 * - `send` encodes at once (later mutation of the value does not matter, errors reach the caller) and
 *   queues; everything queued in the same microtask goes out as ONE `stream.send()` (split only above
 *   `maxBatchBytes`). When `send()` reports a full buffer the channel waits for `onDrain()` and keeps
 *   queueing meanwhile; `queued` tells producers how much is waiting.
 * - Every inbound frame is decoded and checked by the guard before the handler sees it; a frame that is
 *   too large, malformed, not msgpack or rejected by the guard aborts the stream (the remote sees a
 *   reset) and closes the channel with that error as the reason.
 * - When the remote closes its side the channel flushes what is queued and closes its own side, so a
 *   "last message, then close" from either end ends the conversation cleanly on both.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent, AbortOptions } from '@libp2p/interface'
import { decodeValue, encodeValue } from '../codec.js'
import type { SessionChannel } from '../peer/session-channel.js'
import { ChannelClosedError, FrameTooLargeError, ProtocolViolationError, UnexpectedEndError } from './errors.js'
import { encodeFrames, FrameDecoder } from './frames.js'

/** Default cap on one inbound or outbound message (protocols pass their own). */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024
/** Sends above this are split, so one huge flush does not build one huge buffer. */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024
/** How long `close()` waits for the remote to close its side before aborting. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000

export interface FrameChannelInit<In> {
  /** Checks each decoded value; anything it rejects is a protocol violation. */
  readonly guard: (value: unknown) => value is In
  readonly maxFrameBytes?: number
  readonly maxBatchBytes?: number
  readonly closeTimeoutMs?: number
  /** Adds the bytes this channel sends and receives (length prefixes included); one counter may serve many channels. */
  readonly traffic?: TrafficCounter
}

/** Bytes moved, for metrics: `in` received, `out` sent. */
export interface TrafficCounter {
  in: number
  out: number
}

export class FrameChannel<In, Out> implements SessionChannel<In, Out> {
  private readonly guard: (value: unknown) => value is In
  private readonly maxFrameBytes: number
  private readonly maxBatchBytes: number
  private readonly closeTimeoutMs: number
  private readonly decoder: FrameDecoder
  private pending: Uint8Array[] = []
  private flushScheduled = false
  private writing: Promise<void> | undefined
  private closing = false
  private handler: ((message: In) => void) | undefined
  private inbox: In[] = []
  private readonly closeHandlers: Array<(reason?: Error) => void> = []
  private reason: Error | undefined
  private isClosed = false
  private resolveClosed!: (reason: Error | undefined) => void
  private readonly traffic: TrafficCounter | undefined
  /** Resolves (never rejects) once the stream is closed; with the error if it ended badly. */
  readonly closed: Promise<Error | undefined>

  constructor (readonly stream: Stream, init: FrameChannelInit<In>) {
    this.guard = init.guard
    this.maxFrameBytes = init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.maxBatchBytes = init.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES
    this.closeTimeoutMs = init.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS
    this.traffic = init.traffic
    this.decoder = new FrameDecoder({ maxFrameBytes: this.maxFrameBytes })
    this.closed = new Promise(resolve => { this.resolveClosed = resolve })
    stream.addEventListener('message', this.onData)
    stream.addEventListener('remoteCloseWrite', this.onRemoteEnd)
    stream.addEventListener('close', this.onStreamClose)
    if (stream.status !== 'open') this.finish(new ChannelClosedError(`stream was already ${stream.status}`))
  }

  /** Messages encoded but not yet handed to the stream. */
  get queued (): number {
    return this.pending.length
  }

  send (message: Out): void {
    if (this.closing || this.isClosed) throw new ChannelClosedError(`cannot send on a ${this.isClosed ? 'closed' : 'closing'} channel`)
    const bytes = encodeValue(message)
    if (bytes.byteLength > this.maxFrameBytes) throw new FrameTooLargeError(bytes.byteLength, this.maxFrameBytes)
    this.pending.push(bytes)
    if (!this.flushScheduled && this.writing == null) {
      this.flushScheduled = true
      queueMicrotask(this.startFlush)
    }
  }

  /** Sets the handler; messages that arrived before it are delivered first, in order. */
  onMessage (handler: (message: In) => void): void {
    this.handler = handler
    const early = this.inbox
    this.inbox = []
    for (const message of early) this.deliver(message)
  }

  /** Called once when the channel closes (at once, asynchronously, if it already has). */
  onClose (handler: (reason?: Error) => void): void {
    if (this.isClosed) queueMicrotask(() => { handler(this.reason) })
    else this.closeHandlers.push(handler)
  }

  /** Flushes what was sent, closes our side, and waits (bounded) for the remote to close its side. */
  async close (options: AbortOptions = {}): Promise<void> {
    if (this.isClosed) return
    this.closing = true
    const signal = options.signal ?? AbortSignal.timeout(this.closeTimeoutMs)
    try {
      await this.flushed()
      await this.stream.close({ signal })
      await raceAbort(this.closed, signal)
    } catch (err) {
      this.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Drops anything queued and resets the stream; the remote sees the stream reset. */
  abort (err: Error): void {
    if (this.isClosed) return
    this.stream.log.error('frame channel on %s aborted - %e', this.stream.protocol, err)
    this.reason ??= err
    this.closing = true
    this.pending = []
    this.stream.abort(err)
    this.finish(err)
  }

  private async flushed (): Promise<void> {
    while (this.writing != null || this.pending.length > 0) {
      if (this.writing == null) this.startFlush()
      await this.writing
    }
  }

  private readonly startFlush = (): void => {
    this.flushScheduled = false
    if (this.writing != null || this.pending.length === 0 || this.isClosed) return
    this.writing = this.flush().finally(() => {
      this.writing = undefined
      // a send() that landed after the loop's last look but before this line has no flush scheduled
      if (this.pending.length > 0) this.startFlush()
    })
  }

  private async flush (): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.isClosed) {
        const frames = this.pending
        this.pending = []
        let start = 0
        while (start < frames.length) {
          let end = start
          let bytes = 0
          while (end < frames.length && (end === start || bytes + frames[end].byteLength <= this.maxBatchBytes)) {
            bytes += frames[end].byteLength
            end++
          }
          const batch = encodeFrames(start === 0 && end === frames.length ? frames : frames.slice(start, end))
          start = end
          if (this.traffic != null) this.traffic.out += batch.byteLength
          if (!this.stream.send(batch)) await this.stream.onDrain()
          if (this.isClosed) return
        }
      }
    } catch (err) {
      this.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private readonly onData = (evt: StreamMessageEvent): void => {
    if (this.isClosed) return
    if (this.traffic != null) this.traffic.in += evt.data.byteLength
    try {
      for (const frame of this.decoder.decode(evt.data)) {
        let value: unknown
        try {
          value = decodeValue(frame)
        } catch (err) {
          throw new ProtocolViolationError(`undecodable message on ${this.stream.protocol}: ${(err as Error).message}`)
        }
        if (!this.guard(value)) throw new ProtocolViolationError(`unexpected message on ${this.stream.protocol}: ${describe(value)}`)
        if (this.handler == null) this.inbox.push(value)
        else this.deliver(value)
        if (this.isClosed) return
      }
    } catch (err) {
      this.abort(err as Error)
    }
  }

  private deliver (message: In): void {
    try {
      this.handler?.(message)
    } catch (err) {
      // a handler bug must be seen, not swallowed: it ends the conversation with that error
      this.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private readonly onRemoteEnd = (): void => {
    if (!this.decoder.idle) {
      this.abort(new UnexpectedEndError(`remote closed ${this.stream.protocol} in the middle of a frame`))
      return
    }
    void this.close()
  }

  private readonly onStreamClose = (evt: StreamCloseEvent): void => {
    this.finish(evt.error)
  }

  private finish (reason: Error | undefined): void {
    if (this.isClosed) return
    this.isClosed = true
    this.closing = true
    this.reason ??= reason
    this.stream.removeEventListener('message', this.onData)
    this.stream.removeEventListener('remoteCloseWrite', this.onRemoteEnd)
    this.stream.removeEventListener('close', this.onStreamClose)
    this.resolveClosed(this.reason)
    for (const handler of this.closeHandlers.splice(0)) {
      try {
        handler(this.reason)
      } catch (err) {
        this.stream.log.error('close handler threw - %e', err)
      }
    }
  }
}

function describe (value: unknown): string {
  let text: string
  try {
    text = JSON.stringify(value, (_k, v: unknown) => v instanceof Uint8Array ? `<${v.byteLength} bytes>` : typeof v === 'bigint' ? `${v}n` : v) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

async function raceAbort<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted()
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}
