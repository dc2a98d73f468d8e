/**
 * Type guards for what arrives from the network: one set shared by every protocol, so each message check
 * reads as a list of field rules and every string, count and byte field has a bound (nothing unbounded is
 * trusted). Guards only bound and shape; whether a value is *right* (a proof, a job id) is checked later.
 */

/** A plain object (not null, not an array): a msgpack map. */
export const isObject = (v: unknown): v is Record<string, unknown> => v != null && typeof v === 'object' && !Array.isArray(v)

/** A non-negative integer not above `max`. */
export const isCount = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max

/** A job id, version or sequence number: a non-negative safe integer. */
export const isId = (v: unknown): v is number => isCount(v)

/** A string of at most `max` UTF-16 units (names, labels, reasons). */
export const isShortString = (v: unknown, max = 256): v is string => typeof v === 'string' && v.length <= max

/** Bytes of at most `max` length. */
export const isBytes = (v: unknown, max: number): v is Uint8Array => v instanceof Uint8Array && v.length <= max

/** An array of at most `max` items, each passing `item`. */
export const isArrayOf = <T>(v: unknown, max: number, item: (x: unknown) => x is T): v is T[] =>
  Array.isArray(v) && v.length <= max && v.every(item)

/** Labels as workers declare them: at most 64, each at most 64 characters. */
export const isLabels = (v: unknown): v is string[] => isArrayOf(v, 64, (l): l is string => isShortString(l, 64))
