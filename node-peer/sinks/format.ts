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
