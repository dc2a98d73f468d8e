/**
 * Malformed flows: each must be rejected with the exact JSON path and a message saying what was expected.
 * Flows are variations of one small valid flow (`base()`), written out as JSON text and loaded through
 * `loadFlow` with an in-memory file tree holding real wasm modules built from WAT.
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { loadFlow } from '../../../core/flow/validate.js'
import { FlowValidationError } from '../../../core/errors.js'
import { assertRejected, loadFromTree, memoryFiles, standardTree, variant as variantOf } from './helpers.js'
import type { Flow } from './helpers.js'

function base (): Flow {
  return {
    name: 'test',
    functions: { double: { wasm: 'fns.wasm', export: 'double' } },
    sources: { nums: { type: 'range', start: 1, end: 11 } },
    stages: { doubled: { function: 'double', input: 'nums' } },
    sinks: { print: { type: 'stdout', input: 'doubled' } }
  }
}

const variant = (change: (flow: Flow) => void): Flow => variantOf(base, change)

let tree: Record<string, Uint8Array | string>
before(async () => { tree = await standardTree() })

const rejects = async (flow: Flow | string, path: string, ...parts: string[]): Promise<void> => await assertRejected(tree, flow, path, ...parts)

describe('loadFlow rejects', () => {
  it('the base flow is valid (so each variant below fails for its own reason)', async () => {
    const { spec } = await loadFlow('/flows/flow.json', JSON.stringify(base()), memoryFiles(tree))
    assert.equal(spec.name, 'test')
  })

  describe('JSON text', () => {
    it('a trailing comma, with line and column', async () => {
      await rejects('{\n  "name": "x",\n}', '', 'valid JSON', 'no trailing comma', 'line 3, column 1')
    })
    it('a comment', async () => {
      await rejects('{\n  // my flow\n  "name": "x"\n}', '', 'JSON has no comments', 'line 2, column 3')
    })
    it('an empty file', async () => {
      await rejects('', '', 'the file is empty')
    })
    it('a stage declared twice (JSON.parse would keep only the last one)', async () => {
      const text = JSON.stringify(base(), null, 2).replace('"stages": {', '"stages": {\n    "doubled": { "function": "double", "input": "nums" },')
      await rejects(text, 'stages.doubled', '"doubled" appears again at line 18, column 5')
    })
  })

  describe('shape', () => {
    it('a top level that is not an object', async () => {
      await rejects('[]', '', 'a JSON object describing the flow, got an array of 0')
    })
    it('a missing name (name is required)', async () => {
      await rejects(variant(f => { delete f.name }), 'name', 'a required field of a flow, missing')
    })
    it('a flow name with a space', async () => {
      await rejects(variant(f => { f.name = 'my flow' }), 'name', 'letters, digits', 'got "my flow"')
    })
    it('an unknown top-level field, with a suggestion', async () => {
      await rejects(variant(f => { f.stage = {} }), 'stage', 'did you mean "stages"?', 'allowed fields: $schema, name, description, functions, clusters, sources, stages, sinks')
    })
    it('a misspelt stage field', async () => {
      await rejects(variant(f => { f.stages.doubled = { fucntion: 'double', input: 'nums' } }), 'stages.doubled.fucntion',
        'a known field of a stage (did you mean "function"?)', 'allowed fields: type, function, input, outputs, maxInstances, timeoutMs, retries, cluster, broadcast, partition, sideInput, verify, description')
    })
    it('a missing stage input', async () => {
      await rejects(variant(f => { delete f.stages.doubled.input }), 'stages.doubled.input', 'a required field of a map stage, missing')
    })
    it('an empty input array', async () => {
      await rejects(variant(f => { f.stages.doubled.input = [] }), 'stages.doubled.input', 'non-empty array', 'got an empty array')
    })
    it('a timeout written as a string', async () => {
      await rejects(variant(f => { f.stages.doubled.timeoutMs = '5s' }), 'stages.doubled.timeoutMs', 'an integer number of milliseconds, got the string "5s"')
    })
    it('negative retries', async () => {
      await rejects(variant(f => { f.stages.doubled.retries = -1 }), 'stages.doubled.retries', 'from 0 to 100, got -1')
    })
    it('maxInstances 0', async () => {
      await rejects(variant(f => { f.stages.doubled.maxInstances = 0 }), 'stages.doubled.maxInstances', 'a positive integer at least 1, got 0')
    })
    it('an unknown stage type', async () => {
      await rejects(variant(f => { f.stages.doubled.type = 'reduce' }), 'stages.doubled.type', 'one of "map", "aggregate", got "reduce"')
    })
    it('an unknown source type', async () => {
      await rejects(variant(f => { f.sources.nums = { type: 'file', path: 'x' } }), 'sources.nums.type', 'one of "range", "values", "lines", "jsonl", "client", got "file"')
    })
    it('a misspelt "type" in a source (a typo hint, not "type is missing")', async () => {
      await rejects(variant(f => { f.sources.nums = { tpye: 'range', start: 1, end: 2 } }), 'sources.nums.tpye', 'did you mean "type"?')
    })
    it('a field of another source type', async () => {
      await rejects(variant(f => { f.sources.nums.path = 'x.txt' }), 'sources.nums.path', 'a known field of a range source', 'allowed fields: type, start, end, step, description')
    })
    it('a sink without a type', async () => {
      await rejects(variant(f => { delete f.sinks.print.type }), 'sinks.print.type', 'a required field of a sink: one of "stdout", "jsonl", "png", missing')
    })
    it('a bad stage name', async () => {
      await rejects(variant(f => { f.stages['2x'] = { function: 'double', input: 'nums' } }), 'stages."2x"', 'a stage name of letters', 'got "2x"')
    })
    it('a port name with a dot', async () => {
      await rejects(variant(f => { f.stages.doubled.outputs = ['a.b'] }), 'stages.doubled.outputs[0]', 'a port name', 'got "a.b"')
    })
    it('a port listed twice', async () => {
      await rejects(variant(f => { f.stages.doubled.outputs = ['out', 'odd', 'out'] }), 'stages.doubled.outputs[2]', 'got "out" twice')
    })
    it('a name used by a source and a sink', async () => {
      await rejects(variant(f => { f.sinks.nums = { type: 'stdout', input: 'doubled' } }), 'sinks.nums', 'sources, stages and sinks share one namespace, and sources.nums exists')
    })
    it('an unknown function, listing the declared ones', async () => {
      await rejects(variant(f => { f.stages.doubled.function = 'dbl' }), 'stages.doubled.function', 'one of the functions declared in "functions" (double), got "dbl"')
    })
    it('a misspelt function, with a did-you-mean like misspelt fields and stream ids', async () => {
      const flow = variant(f => {
        f.functions = { popcount: { wasm: 'fns.wasm', export: 'double' }, sum: { wasm: 'fns.wasm', export: 'double' } }
        f.stages.doubled.function = 'popcont'
      })
      await rejects(flow, 'stages.doubled.function', 'one of the functions declared in "functions" (popcount, sum), got "popcont" (did you mean "popcount"?)')
    })
    it('an unknown function far from every declared one gets no guess', async () => {
      await rejects(variant(f => { f.stages.doubled.function = 'render' }), 'stages.doubled.function', 'got "render"')
      await assert.rejects(loadFromTree(tree, variant(f => { f.stages.doubled.function = 'render' })), (err: Error) => !err.message.includes('did you mean'))
    })
    it('a function export that is not a string', async () => {
      await rejects(variant(f => { f.functions.double.export = 3 }), 'functions.double.export', 'the name of an exported function, got the number 3')
    })
  })

  describe('sources', () => {
    it('a range whose end is below its start', async () => {
      await rejects(variant(f => { f.sources.nums.end = 0 }), 'sources.nums.end', 'at least start (1)', 'got 0')
    })
    it('a zero step', async () => {
      await rejects(variant(f => { f.sources.nums.step = 0 }), 'sources.nums.step', 'a positive integer step at least 1, got 0')
    })
    it('a start beyond 2^53', async () => {
      await rejects(variant(f => { f.sources.nums.start = 2 ** 53 }), 'sources.nums.start', 'lose precision')
    })
    it('a fractional start', async () => {
      await rejects(variant(f => { f.sources.nums.start = 1.5 }), 'sources.nums.start', 'an integer, got the number 1.5')
    })
    it('a lines file that does not exist', async () => {
      await rejects(variant(f => { f.sources.nums = { type: 'lines', path: 'data/missing.txt' } }), 'sources.nums.path', '/flows/data/missing.txt does not exist')
    })
    it('values that are not an array', async () => {
      await rejects(variant(f => { f.sources.nums = { type: 'values', values: 5 } }), 'sources.nums.values', 'an array of values')
    })
    it('a source nobody reads', async () => {
      await rejects(variant(f => { f.sources.extra = { type: 'values', values: [1] } }), 'sources.extra', 'nothing reads "extra"')
    })
  })

  describe('stream references', () => {
    it('an unknown stream in an input array, listing the known streams', async () => {
      await rejects(variant(f => { f.stages.doubled.input = ['nums', 'numz'] }), 'stages.doubled.input[1]', 'got "numz" (did you mean "nums"?)', 'known streams: nums, doubled')
    })
    it('an unknown port of a stage', async () => {
      await rejects(variant(f => { f.sinks.print.input = 'doubled.odd' }), 'sinks.print.input', 'a port of stage "doubled" ("doubled")', 'got "doubled.odd"')
    })
    it('a misspelt port, with the stream id suggested', async () => {
      await rejects(variant(f => { f.stages.doubled.outputs = ['next', 'done']; f.sinks.print.input = 'doubled.nxt' }), 'sinks.print.input', 'got "doubled.nxt" (did you mean "doubled.next"?)')
    })
    it('a stage without an "out" port read by its bare name', async () => {
      await rejects(variant(f => { f.stages.doubled.outputs = ['even', 'odd'] }), 'sinks.print.input', 'stage "doubled" has no default port "out"', '"doubled.even", "doubled.odd"')
    })
    it('a port of a source', async () => {
      await rejects(variant(f => { f.stages.doubled.input = 'nums.out' }), 'stages.doubled.input', 'source "nums" has a single stream')
    })
    it('a sink read as a stream', async () => {
      await rejects(variant(f => { f.sinks.copy = { type: 'stdout', input: 'print' } }), 'sinks.copy.input', '"print" is a sink, which writes no stream')
    })
    it('the same stream read twice by one consumer', async () => {
      await rejects(variant(f => { f.sinks.print.input = ['doubled', 'doubled.out'] }), 'sinks.print.input[1]', '"doubled.out" is the same stream as input[0]')
    })
  })

  describe('stages and sinks', () => {
    it('an aggregate stage with extra ports', async () => {
      await rejects(variant(f => { f.stages.doubled.type = 'aggregate'; f.stages.doubled.outputs = ['out', 'other'] }), 'stages.doubled.outputs', '["out"] or nothing', 'got ["out","other"]')
    })
    it('no sinks', async () => {
      await rejects(variant(f => { f.sinks = {} }), 'sinks', 'at least one sink')
    })
    it('a png sink of width 0', async () => {
      await rejects(variant(f => { f.sinks.img = { type: 'png', input: 'doubled', path: 'a.png', width: 0, height: 4 } }), 'sinks.img.width', 'an image width in pixels from 1 to 16384, got 0')
    })
    it('a png sink with 2 channels', async () => {
      await rejects(variant(f => { f.sinks.img = { type: 'png', input: 'doubled', path: 'a.png', width: 4, height: 4, channels: 2 } }), 'sinks.img.channels', '1 (grey), 3 (RGB) or 4 (RGBA), got 2')
    })
    it('a png sink without a height', async () => {
      await rejects(variant(f => { f.sinks.img = { type: 'png', input: 'doubled', path: 'a.png', width: 4 } }), 'sinks.img.height', 'a required field of a png sink, missing')
    })
    it('two sinks writing one file', async () => {
      await rejects(variant(f => {
        f.sinks.a = { type: 'jsonl', input: 'doubled', path: 'out/x.jsonl' }
        f.sinks.b = { type: 'jsonl', input: 'nums', path: './out/../out/x.jsonl' }
      }), 'sinks.b.path', 'sink "a" writes "/flows/out/x.jsonl" too')
    })
    it('a sink path ending in .partial (the name of the file a run writes before replacing its output)', async () => {
      await rejects(variant(f => {
        f.sinks.a = { type: 'jsonl', input: 'doubled', path: 'out/x.jsonl.partial' }
      }), 'sinks.a.path', 'a path not ending in ".partial"')
    })
  })

  describe('feedback loops', () => {
    it('a loop of two stages without an exit', async () => {
      await rejects(variant(f => {
        f.stages = { a: { function: 'double', input: ['nums', 'b'] }, b: { function: 'double', input: 'a' } }
        f.sinks.print.input = 'nums'
      }), 'stages.a.input', 'a feedback loop (a → b → a) needs an exit: some output read outside the loop')
    })
    it('a stage reading its own output without an exit', async () => {
      await rejects(variant(f => {
        f.stages = { a: { function: 'double', input: ['nums', 'a.again'], outputs: ['again'] } }
        f.sinks.print.input = 'nums'
      }), 'stages.a.input', 'a feedback loop (a → a) needs an exit')
    })
    it('a loop nothing feeds', async () => {
      await rejects(variant(f => {
        f.stages = {
          first: { function: 'double', input: 'nums' },
          a: { function: 'double', input: 'b.back' },
          b: { function: 'double', input: 'a', outputs: ['back', 'done'] }
        }
        f.sinks.print.input = ['first', 'b.done']
      }), 'stages.a.input', 'a feedback loop (a → b → a) needs an entry: some member must read a source or a stage outside the loop')
    })
    it('an aggregate stage inside a loop', async () => {
      await rejects(variant(f => {
        f.stages = {
          a: { function: 'double', input: ['nums', 'sum'], outputs: ['out', 'done'] },
          sum: { type: 'aggregate', function: 'double', input: 'a' }
        }
        f.sinks.print.input = 'a.done'
      }), 'stages.sum.input', 'an aggregate stage cannot be part of a loop', '(a → sum → a)')
    })
    it('the loop described is the shortest through its first member', async () => {
      await rejects(variant(f => {
        f.stages = {
          a: { function: 'double', input: ['nums', 'c'] },
          b: { function: 'double', input: 'a' },
          c: { function: 'double', input: ['b', 'a'] }
        }
        f.sinks.print.input = 'nums'
      }), 'stages.a.input', '(a → c → a)')
    })
  })

  describe('modules', () => {
    it('a wasm file that does not exist, and no source near it: the generic build hint', async () => {
      await rejects(variant(f => { f.functions.double.wasm = 'build/missing.wasm' }), 'functions.double.wasm', '/flows/build/missing.wasm does not exist',
        'if it is not built yet', '`npx --no-install grid-build <source>.ts -o /flows/build/missing.wasm`', '`npm run build:wasm`')
    })
    it('a wasm file that does not exist, naming every function that uses it', async () => {
      await rejects(variant(f => {
        f.functions = { double: { wasm: 'build/m.wasm' }, half: { wasm: 'build/m.wasm' }, other: { wasm: 'fns.wasm' } }
      }), 'functions.double.wasm', '/flows/build/m.wasm does not exist or is not a file (also the module of functions.half);')
    })
    for (const [source, where] of [
      ['/flows/assembly/double.ts', 'an AssemblyScript source in ../assembly/'],
      ['/flows/double.wat', 'a WAT source one level up'],
      ['/flows/build/double.ts', 'a source next to the module']
    ] as const) {
      it(`a wasm file that is not built yet, with ${where}: the grid-build command names it`, async () => {
        const withSource = await standardTree({ [source]: '// the source' })
        await assertRejected(withSource, variant(f => { f.functions.double.wasm = 'build/double.wasm' }), 'functions.double.wasm',
          '/flows/build/double.wasm does not exist', `it may not be built yet: build it from its source ${source} with \`npx --no-install grid-build ${source} -o /flows/build/double.wasm\``)
      })
    }
    it('an example of the repository not built yet: npm run build:wasm at its root', async () => {
      const repo = await standardTree({
        '/repo/examples/build-examples.ts': '// the examples\' build',
        '/repo/examples/squares/assembly/double.ts': '// the source',
        '/repo/examples/squares/flow.json': ''
      })
      const flow = JSON.stringify(variant(f => { f.functions.double.wasm = 'build/double.wasm'; f.functions.double.export = 'double' }))
      await assert.rejects(loadFlow('/repo/examples/squares/flow.json', flow, memoryFiles(repo)), (err: unknown) => {
        assert.ok(err instanceof FlowValidationError)
        assert.equal(err.name, 'FlowValidationError')
        assert.equal(err.path, 'functions.double.wasm')
        assert.ok(err.message.startsWith('/repo/examples/squares/flow.json: functions.double.wasm: '), err.message)
        assert.ok(err.expected.includes('it may not be built yet: run `npm run build:wasm` in /repo (it builds every example, this one from /repo/examples/squares/assembly/double.ts)'), err.expected)
        return true
      })
    })
    it('a module importing env.abort', async () => {
      await rejects(variant(f => { f.functions.double.wasm = 'abort.wasm' }), 'functions.double.wasm', 'a module following the edge-grid function ABI v1, but /flows/abort.wasm imports function "env.abort"')
    })
    it('a module without the ABI marker', async () => {
      await rejects(variant(f => { f.functions.double.wasm = 'no-marker.wasm' }), 'functions.double.wasm', 'does not export "grid_abi_1"')
    })
    it('bytes that are not WebAssembly', async () => {
      await rejects(variant(f => { f.functions.double.wasm = 'words.txt' }), 'functions.double.wasm', '/flows/words.txt is not valid WebAssembly')
    })
    it('a missing export, listing those that exist', async () => {
      await rejects(variant(f => { f.functions.double.export = 'dubble' }), 'functions.double.export',
        'got "dubble" (did you mean "double"?)', 'its functions: double, step, split, combine, render')
    })
    it('a missing export by default name', async () => {
      await rejects(variant(f => { f.functions = { triple: { wasm: 'fns.wasm' } }; f.stages.doubled.function = 'triple' }), 'functions.triple.export',
        'with no "export" field, the function\'s own name is used')
    })
    it('an explicit export equal to the function name is not called implicit', async () => {
      await rejects(variant(f => { f.functions = { triple: { wasm: 'fns.wasm', export: 'triple' } }; f.stages.doubled.function = 'triple' }), 'functions.triple.export', 'got "triple"; its functions')
    })
    it('the ABI exports themselves are not callable functions', async () => {
      await rejects(variant(f => { f.functions.double.export = 'grid_alloc' }), 'functions.double.export', 'got "grid_alloc"')
    })
  })

  describe('order', () => {
    it('reports the first problem in file order, the same every time', async () => {
      const flow = variant(f => {
        f.stages.doubled.retries = 'x' // stage shape: found in step 2
        f.sources.nums.end = 0 // source shape: also step 2, but sources come first
        f.functions.double.wasm = 'missing.wasm' // modules: step 6
      })
      for (let i = 0; i < 3; i++) await rejects(flow, 'sources.nums.end')
    })
    it('checks shape before references, references before modules', async () => {
      await rejects(variant(f => { f.functions.double.wasm = 'missing.wasm'; f.sinks.print.input = 'nope' }), 'sinks.print.input', 'known streams')
    })
  })
})
