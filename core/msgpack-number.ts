/**
 * The msgpack encoding of one number, written straight into a byte array: the bytes `encodeValue(n)`
 * (codec.ts, msgpackr) produces, without a fresh buffer per value. A range chunk's items are numbers
 * (run/chunks.ts): the sandbox writes each into the function's memory with this, once per item.
 * msgpackr's rules with our options (no records, no float32): an integer in uint32 range is the smallest of
 * fixint/uint8/uint16/uint32, in int32 range the smallest of negative fixint/int8/int16/int32, and every other
 * number a float64 (2^32, 2^53, 0.5 alike). test/core/msgpack-number.test.ts checks byte equality.
 */

/** Bytes the encoding of `n` takes (1 to 9). */
export function msgpackNumberLength (n: number): number {
  if (n >>> 0 === n) return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5
  if (n >> 0 === n) return n >= -0x20 ? 1 : n >= -0x80 ? 2 : n >= -0x8000 ? 3 : 5
  return 9
}

/** Writes the encoding of `n` at `pos` (the caller made room: msgpackNumberLength); returns the end. */
export function writeMsgpackNumber (target: Uint8Array, pos: number, n: number): number {
  if (n >>> 0 === n) {
    if (n < 0x80) {
      target[pos] = n
      return pos + 1
    }
    if (n < 0x100) {
      target[pos] = 0xcc
      target[pos + 1] = n
      return pos + 2
    }
    if (n < 0x10000) {
      target[pos] = 0xcd
      target[pos + 1] = n >>> 8
      target[pos + 2] = n
      return pos + 3
    }
    target[pos] = 0xce
    return writeBe32(target, pos + 1, n)
  }
  if (n >> 0 === n) {
    if (n >= -0x20) {
      target[pos] = n & 0xff
      return pos + 1
    }
    if (n >= -0x80) {
      target[pos] = 0xd0
      target[pos + 1] = n & 0xff
      return pos + 2
    }
    if (n >= -0x8000) {
      target[pos] = 0xd1
      target[pos + 1] = (n >> 8) & 0xff
      target[pos + 2] = n & 0xff
      return pos + 3
    }
    target[pos] = 0xd2
    return writeBe32(target, pos + 1, n)
  }
  target[pos] = 0xcb
  float[0] = n
  // msgpack is big-endian; the scratch array holds the platform's order (little-endian everywhere we run)
  for (let k = 0; k < 8; k++) target[pos + 1 + k] = floatBytes[LITTLE_ENDIAN ? 7 - k : k]
  return pos + 9
}

function writeBe32 (target: Uint8Array, pos: number, n: number): number {
  target[pos] = (n >>> 24) & 0xff
  target[pos + 1] = (n >>> 16) & 0xff
  target[pos + 2] = (n >>> 8) & 0xff
  target[pos + 3] = n & 0xff
  return pos + 4
}

const float = new Float64Array(1)
const floatBytes = new Uint8Array(float.buffer)
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
