/**
 * Finds where one msgpack value ends without decoding it, so a pair's key and value can be taken as byte
 * slices (core/run/combiner.ts). Returns -1 for bytes that are not one whole value from `pos`.
 */
export function skipValue (bytes: Uint8Array, pos: number, depth = 0): number {
  if (pos >= bytes.length || depth > 64) return -1
  const b = bytes[pos]
  if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return pos + 1 // fixint, nil, bool
  if ((b & 0xe0) === 0xa0) return within(bytes, pos + 1 + (b & 0x1f)) // fixstr
  if ((b & 0xf0) === 0x90) return skipMany(bytes, pos + 1, b & 0x0f, depth) // fixarray
  if ((b & 0xf0) === 0x80) return skipMany(bytes, pos + 1, 2 * (b & 0x0f), depth) // fixmap
  switch (b) {
    case 0xcc: case 0xd0: return within(bytes, pos + 2)
    case 0xcd: case 0xd1: return within(bytes, pos + 3)
    case 0xca: case 0xce: case 0xd2: return within(bytes, pos + 5)
    case 0xcb: case 0xcf: case 0xd3: return within(bytes, pos + 9)
    case 0xd4: return within(bytes, pos + 3) // fixext 1
    case 0xd5: return within(bytes, pos + 4)
    case 0xd6: return within(bytes, pos + 6)
    case 0xd7: return within(bytes, pos + 10)
    case 0xd8: return within(bytes, pos + 18)
    case 0xc4: case 0xd9: return sized(bytes, pos, 1, 0)
    case 0xc5: case 0xda: return sized(bytes, pos, 2, 0)
    case 0xc6: case 0xdb: return sized(bytes, pos, 4, 0)
    case 0xc7: return sized(bytes, pos, 1, 1)
    case 0xc8: return sized(bytes, pos, 2, 1)
    case 0xc9: return sized(bytes, pos, 4, 1)
    case 0xdc: return pos + 3 > bytes.length ? -1 : skipMany(bytes, pos + 3, readUint(bytes, pos + 1, 2), depth)
    case 0xdd: return pos + 5 > bytes.length ? -1 : skipMany(bytes, pos + 5, readUint(bytes, pos + 1, 4), depth)
    case 0xde: return pos + 3 > bytes.length ? -1 : skipMany(bytes, pos + 3, 2 * readUint(bytes, pos + 1, 2), depth)
    case 0xdf: return pos + 5 > bytes.length ? -1 : skipMany(bytes, pos + 5, 2 * readUint(bytes, pos + 1, 4), depth)
    default: return -1 // 0xc1 is never used
  }
}

function within (bytes: Uint8Array, end: number): number {
  return end <= bytes.length ? end : -1
}

/** A bin, str or ext: a length of `width` bytes (and `extra` type bytes) after the tag, then the data. */
function sized (bytes: Uint8Array, pos: number, width: number, extra: number): number {
  if (pos + 1 + width > bytes.length) return -1
  return within(bytes, pos + 1 + width + extra + readUint(bytes, pos + 1, width))
}

function skipMany (bytes: Uint8Array, pos: number, count: number, depth: number): number {
  for (let i = 0; i < count && pos >= 0; i++) pos = skipValue(bytes, pos, depth + 1)
  return pos
}

function readUint (bytes: Uint8Array, pos: number, width: number): number {
  let n = 0
  for (let i = 0; i < width; i++) n = n * 256 + bytes[pos + i]
  return n
}
