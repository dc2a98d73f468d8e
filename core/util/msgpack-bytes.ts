/**
 * Builds msgpack arrays from items that are already encoded, without decoding them: the scheduler moves
 * items as bytes and only needs to wrap them (aggregate outputs `[key, value]`, combine inputs `[v1, …, vn]`).
 */
export function packArray (elements: readonly Uint8Array[]): Uint8Array {
  const n = elements.length
  const headerLength = arrayHeaderLength(n)
  let length = headerLength
  for (const e of elements) length += e.length
  const out = new Uint8Array(length)
  writeArrayHeader(out, n)
  let at = headerLength
  for (const e of elements) {
    out.set(e, at)
    at += e.length
  }
  return out
}

/** Bytes of the msgpack header of an array of `n` elements. */
export function arrayHeaderLength (n: number): number {
  return n < 16 ? 1 : n < 0x10000 ? 3 : 5
}

/** Writes the msgpack header of an array of `n` elements at the start of `out`. */
export function writeArrayHeader (out: Uint8Array, n: number): void {
  if (n < 16) {
    out[0] = 0x90 | n
  } else if (n < 0x10000) {
    out[0] = 0xdc
    out[1] = n >>> 8
    out[2] = n & 0xff
  } else {
    out[0] = 0xdd
    out[1] = n >>> 24
    out[2] = n >>> 16
    out[3] = n >>> 8
    out[4] = n
  }
}
