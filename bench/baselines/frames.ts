/**
 * The raw-TCP baseline's framing: a u32 little-endian byte count, then a msgpack body (the product's codec).
 * As lean as a hand-written protocol gets: frames are packed many per socket write and parsed straight out of
 * the received chunks.
 */
import { decodeValue, encodeValue } from '../../core/codec.js'

export function frame (value: unknown): Buffer {
  const body = encodeValue(value)
  const out = Buffer.allocUnsafe(4 + body.length)
  out.writeUInt32LE(body.length, 0)
  out.set(body, 4)
  return out
}

/** Splits a byte stream into decoded frame bodies. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0)

  /** Every complete frame in `chunk` (plus what was held back), decoded. */
  push (chunk: Buffer): unknown[] {
    const data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    const values: unknown[] = []
    let pos = 0
    while (data.length - pos >= 4) {
      const len = data.readUInt32LE(pos)
      if (data.length - pos - 4 < len) break
      values.push(decodeValue(data.subarray(pos + 4, pos + 4 + len)))
      pos += 4 + len
    }
    this.buffered = data.subarray(pos)
    return values
  }
}
