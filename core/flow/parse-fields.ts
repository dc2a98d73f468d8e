/**
 * Typed readers for the fields of a flow file. Each one either returns a value of the right type or throws
 * FlowValidationError naming the file, the JSON path, and what was expected (with what was found).
 * The allowed field lists live here too: the JSON Schema test checks flow.schema.json against them.
 */
import { FlowValidationError } from '../errors.js'

/** Names of functions, sources, stages, sinks and output ports. No dots: `stage.port` must stay unambiguous. */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/
export const NAME_MAX_LENGTH = 64

/** Every field each object of a flow file accepts, in the order they are checked. */
export const FIELDS = {
  flow: ['$schema', 'name', 'description', 'functions', 'clusters', 'sources', 'stages', 'sinks'],
  function: ['wasm', 'js', 'export', 'abi', 'io', 'description'],
  cluster: ['labels', 'members', 'description'],
  partition: ['by'],
  verify: ['replicas'],
  source: {
    range: ['type', 'start', 'end', 'step', 'description'],
    values: ['type', 'values', 'description'],
    lines: ['type', 'path', 'description'],
    jsonl: ['type', 'path', 'description'],
    client: ['type', 'index', 'description']
  },
  stage: {
    map: ['type', 'function', 'input', 'outputs', 'maxInstances', 'timeoutMs', 'retries', 'cluster', 'broadcast', 'partition', 'sideInput', 'verify', 'description'],
    aggregate: ['type', 'function', 'input', 'outputs', 'maxInstances', 'timeoutMs', 'retries', 'cluster', 'verify', 'description']
  },
  sink: {
    stdout: ['type', 'input', 'description'],
    jsonl: ['type', 'input', 'path', 'description'],
    png: ['type', 'input', 'path', 'width', 'height', 'channels', 'description']
  }
} as const

/** A short description of a JSON value for messages: `got 12 (a number)`. */
export function describeJson (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `an array of ${value.length}`
  switch (typeof value) {
    case 'string': return value.length > 60 ? `the string ${JSON.stringify(value.slice(0, 57))}…` : `the string ${JSON.stringify(value)}`
    case 'number': return `the number ${value}`
    case 'boolean': return `${value}`
    case 'object': return 'an object'
    default: return typeof value
  }
}

/**
 * Edit distance counting a swap of two neighbours as one edit (optimal string alignment), case-insensitive,
 * for "did you mean" hints: "fucntion" and "tpye" are one edit from "function" and "type".
 */
function distance (a: string, b: string): number {
  a = a.toLowerCase()
  b = b.toLowerCase()
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i])
  for (let j = 0; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

/** The candidate closest to `word`, if it is close enough to be a likely typo. */
export function closest (word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    const d = distance(word, c)
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  return best != null && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined
}

export function didYouMean (word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates)
  return c != null ? ` (did you mean "${c}"?)` : ''
}

/** Field readers bound to one flow file. */
export class FieldReader {
  constructor (readonly file: string) {}

  fail (path: string, expected: string): never {
    throw new FlowValidationError(this.file, path, expected)
  }

  object (path: string, value: unknown, what = 'an object'): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(path, `${what}, got ${describeJson(value)}`)
    return value as Record<string, unknown>
  }

  /** Rejects unknown fields (naming the allowed ones), then missing required ones. */
  fields (path: string, obj: Record<string, unknown>, allowed: readonly string[], required: readonly string[], what: string): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.fail(join(path, key), `a known field of ${what}${didYouMean(key, allowed)}; allowed fields: ${allowed.join(', ')}`)
      }
    }
    for (const key of required) {
      if (!(key in obj)) this.fail(join(path, key), `a required field of ${what}, missing`)
    }
  }

  string (path: string, value: unknown, what = 'a string'): string {
    if (typeof value !== 'string') this.fail(path, `${what}, got ${describeJson(value)}`)
    return value
  }

  nonEmptyString (path: string, value: unknown, what: string): string {
    const s = this.string(path, value, what)
    if (s.trim() === '') this.fail(path, `${what}, got an empty string`)
    return s
  }

  name (path: string, value: unknown, what = 'a name'): string {
    const s = this.string(path, value, what)
    this.checkName(path, s, what)
    return s
  }

  checkName (path: string, s: string, what = 'a name'): void {
    if (!NAME_PATTERN.test(s) || s.length > NAME_MAX_LENGTH) {
      this.fail(path, `${what} of letters, digits, "_" and "-" starting with a letter or "_" (at most ${NAME_MAX_LENGTH} characters), got ${JSON.stringify(s)}`)
    }
  }

  /** A safe integer (|n| < 2^53) within [min, max]. */
  integer (path: string, value: unknown, min: number, max: number, what = 'an integer'): number {
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(path, `${what}, got ${describeJson(value)}`)
    if (!Number.isSafeInteger(value)) this.fail(path, `${what} between -(2^53-1) and 2^53-1 (beyond that integers lose precision), got ${value}`)
    if (value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`
      this.fail(path, `${what} ${range}, got ${value}`)
    }
    return value
  }

  boolean (path: string, value: unknown, what = 'true or false'): boolean {
    if (typeof value !== 'boolean') this.fail(path, `${what}, got ${describeJson(value)}`)
    return value
  }

  array (path: string, value: unknown, what: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, `${what}, got ${describeJson(value)}`)
    return value
  }
}

export function join (path: string, key: string): string {
  const part = NAME_PATTERN.test(key) || key === '$schema' ? key : JSON.stringify(key)
  return path === '' ? part : `${path}.${part}`
}
