/**
 * Builds msgpack arrays from items that are already encoded, without decoding them: the scheduler moves
 * items as bytes and only needs to wrap them (aggregate outputs `[key, value]`, combine inputs `[v1, …, vn]`).
 */
export function packArray (elements: readonly Uint8Array[]): Uint8Array {
  const n = elements.length
  const headerLength = n < 16 ? 1 : n < 0x10000 ? 3 : 5
  let length = headerLength
  for (const e of elements) length += e.length
  const out = new Uint8Array(length)
  if (n < 16) {
    out[0] = 0x90 | n
  } else if (n < 0x10000) {
    out[0] = 0xdc
    out[1] = n >>> 8
    out[2] = n & 0xff
  } else {
    out[0] = 0xdd
    new DataView(out.buffer).setUint32(1, n)
  }
  let at = headerLength
  for (const e of elements) {
    out.set(e, at)
    at += e.length
  }
  return out
}
