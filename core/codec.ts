/**
 * The one msgpack configuration used everywhere: plain msgpack maps (no msgpackr record extension), so
 * WASM modules in any language can read what the host writes and the other way round.
 */
import { Packr } from 'msgpackr'

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  encodeUndefinedAsNil: true,
  // 64-bit integers within ±2^53 decode as numbers, others as bigint ('auto' is missing from the typings)
  int64AsType: 'auto' as 'number'
})

/** Encodes a value as standalone msgpack bytes (a fresh buffer, safe to keep). */
export function encodeValue (value: unknown): Uint8Array {
  return packr.pack(value)
}

export function decodeValue (bytes: Uint8Array): unknown {
  return packr.unpack(bytes)
}
