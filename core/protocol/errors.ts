/**
 * Errors of the wire layer (frames, message channels, code shipping). Callers branch on the class.
 */
import { GridError } from '../errors.js'

/** A frame declared (or a sender tried to write) more bytes than the receiver accepts. */
export class FrameTooLargeError extends GridError {
  static override name = 'FrameTooLargeError'
  constructor (readonly declared: number, readonly max: number) {
    super(`frame of ${declared} bytes exceeds the limit of ${max} bytes`)
  }
}

/** The bytes on the wire are not a length-prefixed frame (bad varint length). */
export class MalformedFrameError extends GridError {
  static override name = 'MalformedFrameError'
}

/** The stream ended in the middle of a frame, or before an expected frame arrived. */
export class UnexpectedEndError extends GridError {
  static override name = 'UnexpectedEndError'
}

/** A frame decoded to something the protocol does not allow (not msgpack, or rejected by the guard). */
export class ProtocolViolationError extends GridError {
  static override name = 'ProtocolViolationError'
}

/** `send` on a channel that is closing or closed. */
export class ChannelClosedError extends GridError {
  static override name = 'ChannelClosedError'
}

/** The code server answered that it cannot provide the module (its message is kept). */
export class CodeUnavailableError extends GridError {
  static override name = 'CodeUnavailableError'
  constructor (readonly hash: string, readonly remoteMessage: string) {
    super(`module ${hash} unavailable: ${remoteMessage}`)
  }
}

/** The bytes received for a module do not have the content hash that was asked for. */
export class CodeHashMismatchError extends GridError {
  static override name = 'CodeHashMismatchError'
  constructor (readonly expected: string, readonly actual: string) {
    super(`module asked for as ${expected} has content hash ${actual}`)
  }
}
