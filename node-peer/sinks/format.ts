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
  const first = bytes[0]
  const n = bytes.length
  if (n === 1) return first <= 0x7f ? String(first) : first >= 0xe0 ? String(first - 0x100) : undefined
  switch (first) {
    case 0xcc: return n === 2 ? String(bytes[1]) : undefined
    case 0xcd: return n === 3 ? String(bytes[1] << 8 | bytes[2]) : undefined
    case 0xce: return n === 5 ? String((bytes[1] << 24 | bytes[2] << 16 | bytes[3] << 8 | bytes[4]) >>> 0) : undefined
    case 0xd0: return n === 2 ? String(bytes[1] << 24 >> 24) : undefined
    case 0xd1: return n === 3 ? String((bytes[1] << 8 | bytes[2]) << 16 >> 16) : undefined
    case 0xd2: return n === 5 ? String(bytes[1] << 24 | bytes[2] << 16 | bytes[3] << 8 | bytes[4]) : undefined
    default: return undefined
  }
}
