/**
 * Valid flows, one per feature (test/fixtures/flows/valid/): the normalised FlowSpec (defaults applied,
 * paths resolved, stream ids canonical), the loaded modules, and the warnings.
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { loadFlow, validateFlowObject } from '../../../core/flow/validate.js'
import type { LoadedFlow } from '../../../core/flow/validate.js'
import { FIXTURES, memoryFiles, standardTree } from './helpers.js'
import type { MemoryFiles } from './helpers.js'

let tree: Record<string, Uint8Array | string>
before(async () => { tree = await standardTree() })

async function loadValid (name: string, files: MemoryFiles = memoryFiles(tree)): Promise<LoadedFlow> {
  const text = await readFile(`${FIXTURES}valid/${name}.json`, 'utf8')
  return await loadFlow(`/flows/${name}.json`, text, files)
}

const fns = (name: string, exportName = name): { name: string, wasm: string, export: string } => ({ name, wasm: '/flows/fns.wasm', export: exportName })

describe('loadFlow accepts', () => {
  it('a map stage over a range, printed: defaults applied', async () => {
    const { spec, warnings } = await loadValid('map')
    assert.deepEqual(spec, {
      name: 'map',
      file: '/flows/map.json',
      functions: { double: fns('double') },
      sources: { nums: { kind: 'range', name: 'nums', start: 1, end: 11, step: 1 } },
      stages: { doubled: { kind: 'map', name: 'doubled', function: 'double', inputs: ['nums'], outputs: ['out'], timeoutMs: 30000, retries: 2 } },
      sinks: { print: { kind: 'stdout', name: 'print', inputs: ['doubled'] } }
    })
    assert.deepEqual(warnings, [])
  })

  it('every source type, merged into one stage; "stage.out" is canonicalised; export defaults to the name', async () => {
    const { spec } = await loadValid('sources')
    assert.deepEqual(spec.sources, {
      evens: { kind: 'range', name: 'evens', start: -10, end: 10, step: 2 },
      inline: { kind: 'values', name: 'inline', values: [1, 'two', [3], { four: 4 }, null] },
      words: { kind: 'lines', name: 'words', path: '/flows/words.txt' },
      records: { kind: 'jsonl', name: 'records', path: '/flows/records.jsonl' }
    })
    assert.deepEqual(spec.functions, { double: fns('double') })
    assert.deepEqual(spec.stages.all.inputs, ['evens', 'inline', 'words', 'records'])
    assert.deepEqual(spec.sinks, { out: { kind: 'jsonl', name: 'out', inputs: ['all'], path: '/flows/out/all.jsonl' } })
  })

  it('output ports and fan-out: one port read by a stage and a sink', async () => {
    const { spec, warnings } = await loadValid('ports')
    assert.deepEqual(spec.stages.parity, { kind: 'map', name: 'parity', function: 'split', inputs: ['nums'], outputs: ['even', 'odd'], timeoutMs: 30000, retries: 2 })
    assert.deepEqual(spec.stages.twice.inputs, ['parity.even'])
    assert.deepEqual(spec.sinks.evens.inputs, ['parity.even'])
    assert.deepEqual(spec.sinks.odds, { kind: 'jsonl', name: 'odds', inputs: ['parity.odd'], path: '/flows/odds.jsonl' })
    assert.deepEqual(spec.sinks.doubled.inputs, ['twice'])
    assert.deepEqual(warnings, [])
  })

  it('an aggregate stage and a png sink', async () => {
    const { spec } = await loadValid('aggregate')
    assert.deepEqual(spec.stages.counts, { kind: 'aggregate', name: 'counts', function: 'sum', inputs: ['keyed'], outputs: ['out'], timeoutMs: 30000, retries: 2 })
    assert.deepEqual(spec.sinks.picture, { kind: 'png', name: 'picture', inputs: ['image'], path: '/flows/out/picture.png', width: 8, height: 4, channels: 1 })
    assert.deepEqual(spec.functions.render, fns('render'))
    assert.deepEqual(spec.functions.sum, fns('sum', 'combine'))
  })

  it('a feedback loop with hints (the collatz example of the brief)', async () => {
    const { spec } = await loadValid('loop')
    assert.deepEqual(spec.stages.iterate, {
      kind: 'map', name: 'iterate', function: 'step', inputs: ['starts', 'iterate.next'], outputs: ['next', 'done'], maxInstances: 8, timeoutMs: 5000, retries: 2
    })
    assert.deepEqual(spec.stages.longest.inputs, ['iterate.done'])
    assert.deepEqual(spec.sinks.result.inputs, ['longest'])
  })

  it('a loop of two stages, descriptions everywhere, retries 0', async () => {
    const { spec } = await loadValid('ping-pong')
    assert.deepEqual(spec.stages.pong, { kind: 'map', name: 'pong', function: 'step', inputs: ['ping'], outputs: ['back', 'done'], timeoutMs: 100, retries: 0 })
    assert.equal(spec.stages.after.maxInstances, 1)
    assert.deepEqual(spec.sinks.print.inputs, ['after', 'pong.done'])
  })

  it('one module for functions sharing a file, read once, named by its sha256', async () => {
    const files = memoryFiles(tree)
    const { modules } = await loadValid('ports', files)
    assert.deepEqual([...modules.keys()], ['split', 'double'])
    assert.equal(modules.get('split'), modules.get('double'))
    const bytes = tree['/flows/fns.wasm'] as Uint8Array
    assert.deepEqual(modules.get('split')!.bytes, bytes)
    assert.equal(modules.get('split')!.hash, createHash('sha256').update(bytes).digest('hex'))
    assert.equal(files.accessed.filter(p => p === '/flows/fns.wasm').length, 1)
  })

  it('warnings: unread ports, unused functions, empty sources', async () => {
    const { warnings } = await validateFlowObject('/flows/flow.json', {
      name: 'w',
      functions: { step: { wasm: 'fns.wasm' }, double: { wasm: 'fns.wasm' } },
      sources: { none: { type: 'values', values: [] }, empty: { type: 'range', start: 5, end: 5 } },
      stages: {
        s: { function: 'step', input: ['none', 'empty'], outputs: ['a', 'b', 'c'] },
        t: { function: 'step', input: 's.b' }
      },
      sinks: { print: { type: 'stdout', input: 's.a' } }
    }, memoryFiles(tree))
    assert.deepEqual(warnings, [
      'source "none" has no values',
      'source "empty" is an empty range (start = end = 5)',
      'stage "s": nothing reads its port "c"; items emitted there are discarded',
      'stage "t": nothing reads its output; its results are discarded',
      'function "double" is not used by any stage'
    ])
  })

  it('a flow without functions or stages (source straight to sink)', async () => {
    const { spec, modules } = await validateFlowObject('/flows/flow.json', {
      name: 'copy', sources: { words: { type: 'lines', path: 'words.txt' } }, sinks: { out: { type: 'jsonl', input: 'words', path: 'words.jsonl' } }
    }, memoryFiles(tree))
    assert.deepEqual(spec.stages, {})
    assert.deepEqual(spec.functions, {})
    assert.equal(modules.size, 0)
  })

  it('a UTF-8 byte order mark and a "__proto__" value stay harmless', async () => {
    const text = '\ufeff' + JSON.stringify({ name: 'bom', sources: { v: { type: 'values', values: [{ __proto__: 1 }] } }, sinks: { p: { type: 'stdout', input: 'v' } } })
      .replace('"values":[{}]', '"values":[{"__proto__":1}]')
    const { spec } = await loadFlow('/flows/flow.json', text, memoryFiles(tree))
    const source = spec.sources.v
    assert.equal(source.kind, 'values')
    if (source.kind !== 'values') return
    const item = source.values[0] as Record<string, unknown>
    assert.deepEqual(Object.keys(item), ['__proto__'])
    assert.equal(Object.getPrototypeOf(item), Object.prototype)
  })
})
