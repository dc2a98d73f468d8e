import { decodeValue } from '../../core/codec.js'

/** How values read as text (stdout sink) and as JSON (JSONL sink). Bytes become base64 strings. */
export function toJsonValue (value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
  if (Array.isArray(value)) return value.map(toJsonValue)
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJsonValue(v)]))
  if (value != null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]))
  }
  return value
}

export function toJsonLine (value: unknown): string {
  return JSON.stringify(toJsonValue(value)) ?? 'null'
}

/** Strings print as they are, everything else as JSON. */
export function toText (value: unknown): string {
  return typeof value === 'string' ? value : toJsonLine(value)
}

/**
 * The JSON text of a msgpack-encoded integer, read straight from its bytes; undefined for anything else.
 * Cheap per-item functions often emit plain integers, and a sink writing millions of them a second then
 * spends its time in the msgpack decoder's per-call cost: this skips it (a JSONL sink's hot path).
 */
export function intJson (bytes: Uint8Array): string | undefined {
  const n = msgpackInt(bytes)
  return n !== undefined ? String(n) : undefined
}

/**
 * JSON lines of the items in chunks' packed outputs (core/protocol/packed-outputs.ts), as bytes: integers are
 * written digit by digit straight from their msgpack bytes (no string, no decoder: W1's sink writes millions
 * a second), anything else through toJsonLine.
 */
export function jsonlOfBlocks (blocks: readonly Uint8Array[]): Buffer {
  let size = 0
  for (const block of blocks) size += block.length
  let out = Buffer.allocUnsafe(Math.max(64, size * 2))
  let at = 0
  const room = (n: number): void => {
    if (at + n <= out.length) return
    const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, at + n))
    out.copy(bigger, 0, 0, at)
    out = bigger
  }
  for (const block of blocks) {
    let pos = 0
    while (pos < block.length) {
      const len = (block[pos + 1] | block[pos + 2] << 8 | block[pos + 3] << 16 | block[pos + 4] << 24) >>> 0
      const item = block.subarray(pos + 5, pos + 5 + len)
      pos += 5 + len
      const int = msgpackInt(item)
      if (int !== undefined) {
        room(12)
        at = writeInt(out, at, int)
      } else {
        const line = Buffer.from(toJsonLine(decodeValue(item)))
        room(line.length + 1)
        at += line.copy(out, at)
      }
      out[at++] = 0x0a
    }
  }
  return out.subarray(0, at)
}

/** The value of a msgpack integer of up to 32 bits, read from its bytes; undefined for anything else. */
function msgpackInt (bytes: Uint8Array): number | undefined {
  const first = bytes[0]
  const n = bytes.length
  if (n === 1) return first <= 0x7f ? first : first >= 0xe0 ? first - 0x100 : undefined
  switch (first) {
    case 0xcc: return n === 2 ? bytes[1] : undefined
    case 0xcd: return n === 3 ? bytes[1] << 8 | bytes[2] : undefined
    case 0xce: return n === 5 ? (bytes[1] << 24 | bytes[2] << 16 | bytes[3] << 8 | bytes[4]) >>> 0 : undefined
    case 0xd0: return n === 2 ? bytes[1] << 24 >> 24 : undefined
    case 0xd1: return n === 3 ? (bytes[1] << 8 | bytes[2]) << 16 >> 16 : undefined
    case 0xd2: return n === 5 ? bytes[1] << 24 | bytes[2] << 16 | bytes[3] << 8 | bytes[4] : undefined
    default: return undefined
  }
}

/** Writes an integer (|n| < 2^32) as ASCII digits at `at`; returns the end. */
function writeInt (out: Buffer, at: number, n: number): number {
  if (n < 0) {
    out[at++] = 0x2d
    n = -n
  }
  let digits = 1
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = 0x30 + n % 10
    n = Math.floor(n / 10)
  }
  return at + digits
}
