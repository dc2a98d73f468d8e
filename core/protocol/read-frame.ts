/**
 * Reads exactly one frame from a stream: for request/response protocols (code shipping) where one message
 * each way is the whole conversation. Long-lived conversations use FrameChannel instead.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent, AbortOptions } from '@libp2p/interface'
import { UnexpectedEndError } from './errors.js'
import { FrameDecoder } from './frames.js'

export interface ReadFrameOptions extends AbortOptions {
  readonly maxFrameBytes: number
}

/**
 * Resolves with the first whole frame. Rejects with FrameTooLargeError / MalformedFrameError (bad data),
 * UnexpectedEndError (the remote ended its side first), the close error (stream reset/aborted), or the
 * signal's reason. Bytes after the first frame are left unread.
 */
export async function readFrame (stream: Stream, options: ReadFrameOptions): Promise<Uint8Array> {
  options.signal?.throwIfAborted()
  const decoder = new FrameDecoder({ maxFrameBytes: options.maxFrameBytes })
  return await new Promise<Uint8Array>((resolve, reject) => {
    const cleanup = (): void => {
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('close', onClose)
      stream.removeEventListener('remoteCloseWrite', onEnd)
      options.signal?.removeEventListener('abort', onAbort)
    }
    const fail = (err: unknown): void => { cleanup(); reject(err) }
    function onMessage (evt: StreamMessageEvent): void {
      try {
        for (const frame of decoder.decode(evt.data)) {
          cleanup()
          resolve(frame)
          return
        }
      } catch (err) {
        fail(err)
      }
    }
    function onClose (evt: StreamCloseEvent): void {
      fail(evt.error ?? new UnexpectedEndError(`stream ${stream.protocol} closed before a whole frame arrived`))
    }
    function onEnd (): void {
      // 'message' events already delivered everything sent before the remote's close
      fail(new UnexpectedEndError(`remote ended stream ${stream.protocol} before a whole frame arrived`))
    }
    function onAbort (): void { fail(options.signal?.reason) }
    stream.addEventListener('message', onMessage)
    stream.addEventListener('close', onClose)
    stream.addEventListener('remoteCloseWrite', onEnd)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    // the remote may have ended before we listened (nothing buffered means nothing will come)
    if (stream.remoteWriteStatus === 'closed' && stream.readBufferLength === 0) onEnd()
  })
}
