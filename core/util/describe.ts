/** Values shown in messages for people: short JSON (bytes as their length, bigints marked), never throwing. */
import { decodeValue } from '../codec.js'

export function describe (value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : v)
  if (text == null) return String(value)
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

/** `describe` of msgpack bytes, for messages about an item (never throws on bad bytes). */
export function describeBytes (bytes: Uint8Array): string {
  try {
    return describe(decodeValue(bytes))
  } catch {
    return `<${bytes.length} bytes of invalid msgpack>`
  }
}
