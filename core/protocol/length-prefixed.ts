/**
 * The input of a MAC over several parts: each part is preceded by its length (4 bytes, big-endian), so no two
 * lists of parts share an encoding ("ab"+"c" and "a"+"bc" differ). Strings are UTF-8.
 */
const encoder = new TextEncoder()

export function lengthPrefixed (parts: ReadonlyArray<string | Uint8Array>): Uint8Array<ArrayBuffer> {
  const bytes = parts.map(p => typeof p === 'string' ? encoder.encode(p) : p)
  const out = new Uint8Array(bytes.reduce((n, p) => n + 4 + p.length, 0))
  const view = new DataView(out.buffer)
  let at = 0
  for (const part of bytes) {
    view.setUint32(at, part.length)
    out.set(part, at + 4)
    at += 4 + part.length
  }
  return out
}
