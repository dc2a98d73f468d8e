/**
 * Small non-cryptographic hashes for in-memory tables (partition owners, the resume index): 32-bit FNV-1a
 * finished with Murmur3's mixer, since tables index by the low bits, which FNV alone spreads poorly.
 * Start with HASH_SEED, feed parts, then `finishHash`.
 */
export const HASH_SEED = 0x811c9dc5

/** Feeds bytes, then their length (so the parts ("ab", "c") and ("a", "bc") differ). */
export function hashBytes (h: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193)
  return Math.imul(h ^ bytes.length, 0x01000193)
}

/** Feeds a string's UTF-16 code units. */
export function hashText (h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h
}

export function finishHash (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
