/**
 * core/flow/flow.schema.json: well-formed, in step with what the validator accepts (FIELDS, NAME_PATTERN),
 * accepting every valid fixture and example flow, and rejecting structurally malformed flows.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { FIELDS, NAME_MAX_LENGTH, NAME_PATTERN } from '../../../core/flow/parse-fields.js'
import { MAX_PNG_SIDE, MAX_RETRIES, MAX_TIMEOUT_MS } from '../../../core/flow/parse-flow.js'
import { DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../../../core/flow/model.js'
import { FIXTURES } from './helpers.js'
import { resolveRef, SUPPORTED, subschemas, validate } from './schema-lite.js'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const schema = JSON.parse(await readFile(`${ROOT}core/flow/flow.schema.json`, 'utf8')) as Record<string, any>
const defs = schema.$defs

async function validFlows (): Promise<Array<[string, unknown]>> {
  const flows: Array<[string, unknown]> = []
  for (const f of (await readdir(`${FIXTURES}valid`)).filter(f => f.endsWith('.json')).sort()) {
    flows.push([`test/fixtures/flows/valid/${f}`, JSON.parse(await readFile(`${FIXTURES}valid/${f}`, 'utf8'))])
  }
  let examples: string[] = []
  try {
    examples = (await readdir(`${ROOT}examples`, { withFileTypes: true })).filter(d => d.isDirectory()).map(d => d.name).sort()
  } catch {}
  for (const dir of examples) {
    try {
      flows.push([`examples/${dir}/flow.json`, JSON.parse(await readFile(`${ROOT}examples/${dir}/flow.json`, 'utf8'))])
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  return flows
}

describe('flow.schema.json', () => {
  it('is draft 2020-12, uses only keywords the test validator implements, and every $ref resolves', () => {
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema')
    for (const [at, sub] of subschemas(schema)) {
      for (const key of Object.keys(sub)) {
        // Property names inside `properties`/`$defs` are not keywords; subschemas() yields their values.
        assert.ok(SUPPORTED.has(key), `${at}: keyword ${key}`)
      }
      if (typeof sub.$ref === 'string') assert.doesNotThrow(() => resolveRef(schema, sub.$ref as string), `${at}: $ref ${String(sub.$ref)}`)
    }
  })

  it('describes every field, so editors show help', () => {
    for (const [at, sub] of subschemas(schema)) {
      if (sub.properties == null) continue
      for (const [name, prop] of Object.entries(sub.properties as Record<string, { description?: string }>)) {
        assert.ok(typeof prop.description === 'string' && prop.description.length > 3, `${at}/properties/${name} has a description`)
      }
      assert.equal(sub.additionalProperties, false, `${at}: additionalProperties false`)
    }
  })

  it('lists exactly the fields the validator accepts', () => {
    const keys = (s: { properties: object }): string[] => Object.keys(s.properties).sort()
    assert.deepEqual(keys(schema as { properties: object }), [...FIELDS.flow].sort())
    assert.deepEqual(keys(defs.function), [...FIELDS.function].sort())
    for (const kind of Object.keys(FIELDS.source) as Array<keyof typeof FIELDS.source>) {
      assert.deepEqual(keys(defs[`${kind}Source`]), [...FIELDS.source[kind]].sort(), kind)
      assert.equal(defs[`${kind}Source`].properties.type.const, kind)
    }
    for (const kind of Object.keys(FIELDS.stage) as Array<keyof typeof FIELDS.stage>) {
      assert.deepEqual(keys(defs[`${kind}Stage`]), [...FIELDS.stage[kind]].sort(), kind)
      assert.equal(defs[`${kind}Stage`].properties.type.const, kind)
    }
    for (const kind of Object.keys(FIELDS.sink) as Array<keyof typeof FIELDS.sink>) {
      assert.deepEqual(keys(defs[`${kind}Sink`]), [...FIELDS.sink[kind]].sort(), kind)
      assert.equal(defs[`${kind}Sink`].properties.type.const, kind)
    }
    assert.equal(defs.source.oneOf.length, Object.keys(FIELDS.source).length)
    assert.equal(defs.stage.oneOf.length, Object.keys(FIELDS.stage).length)
    assert.equal(defs.sink.oneOf.length, Object.keys(FIELDS.sink).length)
  })

  it('has the validator\'s limits and defaults', () => {
    assert.equal(defs.name.pattern, NAME_PATTERN.source)
    assert.equal(defs.name.maxLength, NAME_MAX_LENGTH)
    assert.equal(defs.mapStage.properties.timeoutMs.default, DEFAULT_TIMEOUT_MS)
    assert.equal(defs.mapStage.properties.timeoutMs.maximum, MAX_TIMEOUT_MS)
    assert.equal(defs.mapStage.properties.retries.default, DEFAULT_RETRIES)
    assert.equal(defs.mapStage.properties.retries.maximum, MAX_RETRIES)
    assert.equal(defs.pngSink.properties.width.maximum, MAX_PNG_SIDE)
    assert.equal(defs.pngSink.properties.height.maximum, MAX_PNG_SIDE)
  })

  it('accepts every valid fixture and every examples/*/flow.json', async () => {
    const flows = await validFlows()
    assert.ok(flows.length >= 6)
    for (const [name, flow] of flows) assert.deepEqual(validate(schema, schema, flow), [], name)
  })

  it('rejects structurally malformed flows', () => {
    const ok = {
      name: 't',
      functions: { f: { wasm: 'f.wasm' } },
      sources: { n: { type: 'range', start: 0, end: 3 } },
      stages: { s: { function: 'f', input: 'n' } },
      sinks: { p: { type: 'stdout', input: 's' } }
    }
    assert.deepEqual(validate(schema, schema, ok), [])
    const bad: Array<[string, (f: any) => void]> = [
      ['missing name', f => { delete f.name }],
      ['typo in a stage field', f => { f.stages.s = { fucntion: 'f', input: 'n' } }],
      ['unknown source type', f => { f.sources.n.type = 'file' }],
      ['step 0', f => { f.sources.n.step = 0 }],
      ['fractional start', f => { f.sources.n.start = 0.5 }],
      ['bad stream id', f => { f.sinks.p.input = 's.a.b' }],
      ['empty input array', f => { f.stages.s.input = [] }],
      ['aggregate with two ports', f => { f.stages.s = { type: 'aggregate', function: 'f', input: 'n', outputs: ['out', 'x'] } }],
      ['png with 2 channels', f => { f.sinks.p = { type: 'png', input: 's', path: 'a.png', width: 1, height: 1, channels: 2 } }],
      ['no sinks', f => { f.sinks = {} }],
      ['bad name', f => { f.stages = { 'a b': { function: 'f', input: 'n' } } }],
      ['negative retries', f => { f.stages.s.retries = -1 }]
    ]
    for (const [what, change] of bad) {
      const flow = structuredClone(ok)
      change(flow)
      assert.notDeepEqual(validate(schema, schema, flow), [], what)
    }
  })
})
