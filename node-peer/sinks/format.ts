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
  let out: Buffer = Buffer.allocUnsafe(Math.max(64, size * 2))
  let at = 0
  for (const block of blocks) {
    let pos = 0
    while (pos < block.length) {
      const len = (block[pos + 1] | block[pos + 2] << 8 | block[pos + 3] << 16 | block[pos + 4] << 24) >>> 0
      const int = msgpackIntAt(block, pos + 5, len)
      if (out.length - at < 24) out = grown(out, at, 24)
      if (int === int) { // not NaN
        at = writeInt(out, at, int)
      } else {
        const line = Buffer.from(toJsonLine(decodeValue(block.subarray(pos + 5, pos + 5 + len))))
        if (out.length - at < line.length + 1) out = grown(out, at, line.length + 1)
        at += line.copy(out, at)
      }
      out[at++] = 0x0a
      pos += 5 + len
    }
  }
  return out.subarray(0, at)
}

function grown (out: Buffer, used: number, more: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, used + more))
  out.copy(bigger, 0, 0, used)
  return bigger
}

/** The msgpack integer of up to 32 bits in `len` bytes at `at`; NaN for anything else (kept a number: hot path). */
function msgpackIntAt (b: Uint8Array, at: number, len: number): number {
  const first = b[at]
  if (len === 1) return first <= 0x7f ? first : first >= 0xe0 ? first - 0x100 : NaN
  switch (first) {
    case 0xcc: return len === 2 ? b[at + 1] : NaN
    case 0xcd: return len === 3 ? b[at + 1] << 8 | b[at + 2] : NaN
    case 0xce: return len === 5 ? (b[at + 1] << 24 | b[at + 2] << 16 | b[at + 3] << 8 | b[at + 4]) >>> 0 : NaN
    case 0xd0: return len === 2 ? b[at + 1] << 24 >> 24 : NaN
    case 0xd1: return len === 3 ? (b[at + 1] << 8 | b[at + 2]) << 16 >> 16 : NaN
    case 0xd2: return len === 5 ? b[at + 1] << 24 | b[at + 2] << 16 | b[at + 3] << 8 | b[at + 4] : NaN
    default: return NaN
  }
}

function msgpackInt (bytes: Uint8Array): number | undefined {
  const n = msgpackIntAt(bytes, 0, bytes.length)
  return n === n ? n : undefined
}

/** Writes an integer (|n| ≤ 2^32) as ASCII digits at `at`; returns the end. */
function writeInt (out: Buffer, at: number, n: number): number {
  if (n < 0) {
    out[at++] = 0x2d
    n = -n
  }
  if (n >= 0x80000000) {
    // beyond int32: one digit by float division brings it into range
    const high = Math.floor(n / 10)
    at = writeInt(out, at, high)
    out[at] = 0x30 + n - high * 10
    return at + 1
  }
  let end = at + 1
  for (let rest = n; rest >= 10; rest = (rest / 10) | 0) end++
  for (let i = end - 1; i >= at; i--) {
    const next = (n / 10) | 0
    out[i] = 0x30 + n - next * 10
    n = next
  }
  return end
}
