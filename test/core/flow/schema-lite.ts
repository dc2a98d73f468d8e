/**
 * A small JSON Schema (draft 2020-12) validator for the keywords flow.schema.json uses, so the schema can be
 * tested without a dependency. `SUPPORTED` lists them; the schema test fails if the schema uses any other
 * keyword, so this never silently ignores a rule.
 */

export type Schema = boolean | { readonly [keyword: string]: unknown }

/** Keywords with validation meaning that this validator implements. */
const ASSERTIONS = [
  'type', 'const', 'enum', 'properties', 'required', 'additionalProperties', 'propertyNames', 'minProperties',
  'items', 'minItems', 'uniqueItems', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'oneOf', '$ref'
]
/** Keywords without validation meaning (annotations, identifiers, definitions). */
const ANNOTATIONS = ['$schema', '$id', '$defs', 'title', 'description', 'default', 'examples']
export const SUPPORTED: ReadonlySet<string> = new Set([...ASSERTIONS, ...ANNOTATIONS])

type Obj = Record<string, unknown>

function isObject (v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function typeOk (type: string, v: unknown): boolean {
  switch (type) {
    case 'object': return isObject(v)
    case 'array': return Array.isArray(v)
    case 'string': return typeof v === 'string'
    case 'integer': return typeof v === 'number' && Number.isInteger(v)
    case 'number': return typeof v === 'number'
    case 'boolean': return typeof v === 'boolean'
    case 'null': return v === null
    default: throw new Error(`unknown type ${type}`)
  }
}

function equal (a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

export function resolveRef (root: Obj, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`)
  let at: unknown = root
  for (const part of ref.slice(2).split('/')) {
    if (!isObject(at) || !(part in at)) throw new Error(`unresolvable $ref ${ref}`)
    at = at[part]
  }
  return at as Schema
}

/** Errors of `value` against `schema`, as `path: message` strings; empty when valid. */
export function validate (root: Obj, schema: Schema, value: unknown, path = ''): string[] {
  if (schema === true) return []
  if (schema === false) return [`${path}: not allowed`]
  const s = schema
  const errors: string[] = []
  const err = (m: string): void => { errors.push(`${path}: ${m}`) }
  for (const key of Object.keys(s)) if (!SUPPORTED.has(key)) throw new Error(`unsupported keyword ${key} at ${path}`)

  if (typeof s.$ref === 'string') errors.push(...validate(root, resolveRef(root, s.$ref), value, path))
  if (s.type !== undefined && !typeOk(s.type as string, value)) {
    err(`expected ${String(s.type)}`)
    return errors
  }
  if ('const' in s && !equal(s.const, value)) err(`expected ${JSON.stringify(s.const)}`)
  if (Array.isArray(s.enum) && !s.enum.some(e => equal(e, value))) err(`expected one of ${JSON.stringify(s.enum)}`)

  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && [...value].length < s.minLength) err(`shorter than ${s.minLength}`)
    if (typeof s.maxLength === 'number' && [...value].length > s.maxLength) err(`longer than ${s.maxLength}`)
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) err(`does not match ${s.pattern}`)
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) err(`below ${s.minimum}`)
    if (typeof s.maximum === 'number' && value > s.maximum) err(`above ${s.maximum}`)
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) err(`fewer than ${s.minItems} items`)
    if (s.uniqueItems === true && new Set(value.map(v => JSON.stringify(v))).size !== value.length) err('items not unique')
    if (s.items !== undefined) value.forEach((v, i) => errors.push(...validate(root, s.items as Schema, v, `${path}[${i}]`)))
  }
  if (isObject(value)) {
    const props = (s.properties ?? {}) as Record<string, Schema>
    for (const key of (s.required ?? []) as string[]) if (!(key in value)) err(`missing required ${key}`)
    if (typeof s.minProperties === 'number' && Object.keys(value).length < s.minProperties) err(`fewer than ${s.minProperties} properties`)
    for (const [key, v] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`
      if (s.propertyNames !== undefined) errors.push(...validate(root, s.propertyNames as Schema, key, `${at} (name)`))
      if (key in props) errors.push(...validate(root, props[key], v, at))
      else if (s.additionalProperties !== undefined) errors.push(...validate(root, s.additionalProperties as Schema, v, at))
    }
  }
  if (Array.isArray(s.oneOf)) {
    const results = s.oneOf.map(sub => validate(root, sub as Schema, value, path))
    const passing = results.filter(r => r.length === 0).length
    if (passing !== 1) err(passing === 0 ? `matches none of oneOf (${results.map(r => r[0]).join(' | ')})` : `matches ${passing} of oneOf`)
  }
  return errors
}

/** Every subschema of `schema` with its location, for well-formedness checks. */
export function * subschemas (schema: unknown, at = '#'): Generator<[string, Obj]> {
  if (!isObject(schema)) return
  yield [at, schema]
  for (const key of ['properties', '$defs']) {
    const group = schema[key]
    if (isObject(group)) for (const [name, sub] of Object.entries(group)) yield * subschemas(sub, `${at}/${key}/${name}`)
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames']) yield * subschemas(schema[key], `${at}/${key}`)
  if (Array.isArray(schema.oneOf)) for (const [i, sub] of schema.oneOf.entries()) yield * subschemas(sub, `${at}/oneOf/${i}`)
}
