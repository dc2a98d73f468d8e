/**
 * Length-prefixed frames: an unsigned varint (LEB128, as multiformats' unsigned-varint) byte count, then
 * that many bytes. The design is batching: `encodeFrames` packs many frames into ONE buffer for one
 * `stream.send()`, and `FrameDecoder` takes the chunks of the stream's 'message' events, whatever their
 * boundaries, and yields whole frames.
 *
 * Written here rather than taken from @libp2p/utils' LengthPrefixedDecoder because that one drops empty
 * frames, throws generic errors, and copies every chunk into a Uint8ArrayList; this one yields frames that
 * lie inside a chunk without copying and allocates once per frame that spans chunks. It accepts any
 * Uint8ArrayList by iterating its chunks, so it does not care which uint8arraylist major is installed.
 */
import { FrameTooLargeError, MalformedFrameError } from './errors.js'

/** A chunk from a stream 'message' event: a Uint8Array or a Uint8ArrayList (an iterable of Uint8Arrays). */
export type Chunk = Uint8Array | Iterable<Uint8Array>

/** 8 varint bytes hold 56 bits, more than any safe integer length. */
const MAX_VARINT_BYTES = 8

export function varintLength (value: number): number {
  let n = 1
  while (value >= 0x80) { value = Math.floor(value / 0x80); n++ }
  return n
}

function writeVarint (value: number, into: Uint8Array, offset: number): number {
  while (value >= 0x80) {
    into[offset++] = (value % 0x80) | 0x80
    value = Math.floor(value / 0x80)
  }
  into[offset++] = value
  return offset
}

/** Just the length prefix of a frame of `length` bytes (for writers that send the body separately). */
export function lengthPrefix (length: number): Uint8Array {
  const out = new Uint8Array(varintLength(length))
  writeVarint(length, out, 0)
  return out
}

/** Packs frames into one buffer: length prefix + bytes, for each frame in order. */
export function encodeFrames (frames: readonly Uint8Array[]): Uint8Array {
  let total = 0
  for (const f of frames) total += varintLength(f.byteLength) + f.byteLength
  const out = new Uint8Array(total)
  let offset = 0
  for (const f of frames) {
    offset = writeVarint(f.byteLength, out, offset)
    out.set(f, offset)
    offset += f.byteLength
  }
  return out
}

export function encodeFrame (frame: Uint8Array): Uint8Array {
  return encodeFrames([frame])
}

export interface FrameDecoderInit {
  /** Largest frame accepted; a larger declared length throws FrameTooLargeError before anything is buffered. */
  readonly maxFrameBytes: number
}

/**
 * Incremental decoder. Frames it yields may be views into the chunk passed in: use them (or copy them)
 * before the chunk's memory is reused; libp2p streams never reuse it. After a throw the decoder is
 * unusable (the stream is out of sync and must be closed).
 */
export class FrameDecoder {
  private readonly max: number
  // length prefix being read
  private length = 0
  private scale = 1
  private lengthBytes = 0
  // body of a frame that spans chunks
  private body: Uint8Array | undefined
  private filled = 0

  constructor (init: FrameDecoderInit) {
    this.max = init.maxFrameBytes
  }

  /** True when no partial frame is held: the stream may end here cleanly. */
  get idle (): boolean {
    return this.body == null && this.lengthBytes === 0
  }

  /** Feeds one chunk; yields every frame completed by it, in order. */
  * decode (chunk: Chunk): Generator<Uint8Array, void, undefined> {
    if (chunk instanceof Uint8Array) {
      yield * this.decodeBytes(chunk)
    } else {
      for (const part of chunk) yield * this.decodeBytes(part)
    }
  }

  private * decodeBytes (buf: Uint8Array): Generator<Uint8Array, void, undefined> {
    let i = 0
    const end = buf.byteLength
    while (i < end) {
      if (this.body != null) {
        const take = Math.min(end - i, this.body.byteLength - this.filled)
        this.body.set(buf.subarray(i, i + take), this.filled)
        this.filled += take
        i += take
        if (this.filled === this.body.byteLength) {
          const frame = this.body
          this.body = undefined
          yield frame
        }
        continue
      }

      const byte = buf[i++]
      this.length += (byte & 0x7f) * this.scale
      this.scale *= 0x80
      this.lengthBytes++
      const more = (byte & 0x80) !== 0
      if (more && this.lengthBytes >= MAX_VARINT_BYTES) throw new MalformedFrameError(`frame length prefix longer than ${MAX_VARINT_BYTES} bytes`)
      if (this.length > this.max) throw new FrameTooLargeError(this.length, this.max)
      if (more) continue
      if (byte === 0 && this.lengthBytes > 1) throw new MalformedFrameError('frame length prefix is not minimally encoded')

      const length = this.length
      this.length = 0
      this.scale = 1
      this.lengthBytes = 0
      if (end - i >= length) {
        // whole frame inside this chunk: a view, no copy
        yield buf.subarray(i, i + length)
        i += length
      } else {
        this.body = new Uint8Array(length)
        this.filled = 0
      }
    }
  }
}
