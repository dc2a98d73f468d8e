/**
 * JavaScript functions (core/abi/js/): the QuickJS host on its own (exact outputs and ports, errors, no host
 * APIs, memory cap, deterministic Math.random and Date), flow validation of `"js"` functions, and how a JS
 * job travels (wire tuple, batch packing). The pool-level behaviours (timeouts, Node and Chromium) are in
 * core/executor/js-suite.ts.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { AbiLimits } from '../../../core/abi/abi.js'
import { inspectJsModule, JsRunner } from '../../../core/abi/js/host.js'
import { decodeJsSource, isWasmBinary } from '../../../core/abi/js/source.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { JsFunctionError, JsValueError, ModuleRejectedError, OutputLimitError } from '../../../core/errors.js'
import { functionRef } from '../../../core/flow/function-ref.js'
import { packJobs } from '../../../core/executor/packing.js'
import type { Job } from '../../../core/jobs.js'
import { jobFromWire, jobToWire, isCoordinatorMessage } from '../../../core/protocol/job-messages.js'
import { assertRejected, loadFromTree, standardTree } from '../flow/helpers.js'

const LIMITS: AbiLimits = { maxMemoryPages: 256, maxOutputBytes: 4096 }

const SOURCE = `
export default function (x) { return x }
export function split (line) {
  const words = line.split(' ').filter(w => w !== '')
  emit(1, ['words', words.length])
  return words.map(w => [w, 1])
}
export function one (x) { return [[x, x]] }
export function fails () { throw new TypeError('no good') }
export function throwsString () { throw 'plain' }
export function globals () {
  return [typeof process, typeof fetch, typeof setTimeout, typeof setInterval, typeof require, typeof console, typeof XMLHttpRequest, typeof WebSocket, typeof Deno, typeof Bun]
}
export function chance () { return [[Math.random(), Math.random(), Date.now(), new Date().getTime(), new Date(0).toISOString(), typeof Date()]] }
export function bomb () { const keep = []; for (let i = 0; ; i++) keep.push({ i }) }
export function deep () { return deep() + 1 }
export function big () { return 2n ** 70n }
export function huge () { return 'x'.repeat(10000) }
export function badPort () { emit(256, 1) }
export function later () { return Promise.resolve(1) }
let calls = 0
export function counter () { return ++calls }
`

async function run (runner: JsRunner, name: string, input: unknown): Promise<Array<[number, unknown]>> {
  return (await runner.run(name, encodeValue(input), LIMITS)).map(o => [o.port, decodeValue(o.bytes)])
}

async function failure (runner: JsRunner, name: string, input: unknown): Promise<Error> {
  try {
    await runner.run(name, encodeValue(input), LIMITS)
  } catch (err) {
    return err as Error
  }
  assert.fail(`${name} did not fail`)
}

describe('JS host (QuickJS)', () => {
  const runner = new JsRunner(SOURCE, 'fixture.js')

  it('returned values go to port 0 (an array: each element one output), emitted ones first, on their port', async () => {
    assert.deepEqual(await run(runner, 'default', { a: [1, 'é', null, true] }), [[0, { a: [1, 'é', null, true] }]])
    assert.deepEqual(await run(runner, 'split', 'the cat  the'), [[1, ['words', 3]], [0, ['the', 1]], [0, ['cat', 1]], [0, ['the', 1]]])
    assert.deepEqual(await run(runner, 'one', 7), [[0, [7, 7]]], 'an array returned as one output is wrapped in another')
    assert.deepEqual(await run(runner, 'default', null), [[0, null]])
  })

  it('outputs are plain msgpack: integers as integers', async () => {
    const [out] = await runner.run('default', encodeValue(5), LIMITS)
    assert.deepEqual([...out.bytes], [5])
  })

  it('a thrown error is a JsFunctionError with its name, message and place; the next call runs', async () => {
    const err = await failure(runner, 'fails', 0)
    assert.ok(err instanceof JsFunctionError)
    assert.match(err.message, /^TypeError: no good \(at fixture\.js:\d+:\d+\)$/)
    const plain = await failure(runner, 'throwsString', 0)
    assert.ok(plain instanceof JsFunctionError)
    assert.equal(plain.message, 'threw "plain"')
    assert.deepEqual(await run(runner, 'default', 1), [[0, 1]])
  })

  it('has no host APIs: process, fetch, timers, require, console, XMLHttpRequest, WebSocket are all undefined', async () => {
    assert.deepEqual(await run(runner, 'globals', 0), [[0, 'undefined'], [0, 'undefined'], [0, 'undefined'], [0, 'undefined'], [0, 'undefined'], [0, 'undefined'], [0, 'undefined'], [0, 'undefined'], [0, 'undefined'], [0, 'undefined']])
  })

  it('Math.random and Date are fixed per item: the same on every run and runner, different for another item', async () => {
    const a1 = await run(runner, 'chance', 'a')
    const a2 = await run(new JsRunner(SOURCE), 'chance', 'a')
    const b = await run(runner, 'chance', 'b')
    assert.deepEqual(a1, a2)
    assert.notDeepEqual(a1[0][1], b[0][1])
    const [r1, r2, now, dateNow, epoch, dateString] = a1[0][1] as [number, number, number, number, string, string]
    assert.ok(r1 >= 0 && r1 < 1 && r2 >= 0 && r2 < 1 && r1 !== r2)
    assert.equal(now, Date.UTC(2000, 0, 1))
    assert.equal(dateNow, now + 1, 'each reading advances the clock 1 ms')
    assert.equal(epoch, '1970-01-01T00:00:00.000Z', 'dates from arguments are real dates')
    assert.equal(dateString, 'string')
  })

  it('the memory cap stops a bomb with "out of memory", and the context still works after', async () => {
    const err = await failure(runner, 'bomb', 0)
    assert.ok(err instanceof JsFunctionError)
    assert.match(err.message, /out of memory.*the memory cap is 16 MiB/)
    assert.deepEqual(await run(runner, 'default', 'after'), [[0, 'after']])
  })

  it('deep recursion is a RangeError-like JsFunctionError, not a crash', async () => {
    const err = await failure(runner, 'deep', 0)
    assert.ok(err instanceof JsFunctionError)
    assert.match(err.message, /stack overflow/)
  })

  it('values that have no JSON form are refused by name: BigInt and typed-array outputs, byte-array and huge-integer items', async () => {
    assert.match((await failure(runner, 'big', 0)).message, /BigInt/)
    const bytes = await failure(runner, 'default', new Uint8Array([1, 2]))
    assert.ok(bytes instanceof JsValueError)
    assert.match(bytes.message, /byte array/)
    const huge = await failure(runner, 'default', 2n ** 60n)
    assert.ok(huge instanceof JsValueError)
  })

  it('outputs past the cap fail with OutputLimitError; a bad port and a Promise are refused', async () => {
    assert.ok(await failure(runner, 'huge', 0) instanceof OutputLimitError)
    assert.match((await failure(runner, 'badPort', 0)).message, /port must be an integer 0…255/)
    assert.match((await failure(runner, 'later', 0)).message, /returned a Promise/)
  })

  it('a missing or non-function export is a ModuleRejectedError listing the functions', async () => {
    const err = await failure(runner, 'nope', 0)
    assert.ok(err instanceof ModuleRejectedError)
    assert.match(err.message, /exports no function "nope"; its functions: .*split/)
  })

  it('module state lives between calls of one runner (as an ABI v1 instance\'s globals do)', async () => {
    const fresh = new JsRunner(SOURCE)
    assert.deepEqual([await run(fresh, 'counter', 0), await run(fresh, 'counter', 0)], [[[0, 1]], [[0, 2]]])
  })

  it('inspectJsModule lists exported functions, refuses syntax errors and stops endless top-level code', async () => {
    assert.deepEqual((await inspectJsModule(SOURCE, 'f.js', 1 << 24)).sort().slice(0, 4), ['badPort', 'big', 'bomb', 'chance'])
    await assert.rejects(inspectJsModule('export function (', 'f.js', 1 << 24), (err: Error) => err instanceof ModuleRejectedError && /SyntaxError.*f\.js:1/.test(err.message))
    await assert.rejects(inspectJsModule('for (;;) {}', 'f.js', 1 << 24, 200), (err: Error) => err instanceof ModuleRejectedError && /interrupted/.test(err.message))
  })

  it('source bytes: UTF-8 text is JS, the \\0asm magic is WebAssembly, invalid UTF-8 is refused', () => {
    assert.equal(isWasmBinary(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])), true)
    assert.equal(isWasmBinary(new TextEncoder().encode('export default x => x')), false)
    assert.equal(decodeJsSource(new TextEncoder().encode('// é')), '// é')
    assert.throws(() => decodeJsSource(new Uint8Array([0xff, 0xfe, 0x00])), ModuleRejectedError)
  })
})

describe('JS functions in flow.json', () => {
  const flow = (fn: Record<string, unknown>): Record<string, unknown> => ({
    name: 'js',
    functions: { f: fn },
    sources: { nums: { type: 'range', start: 1, end: 3 } },
    stages: { s: { function: 'f', input: 'nums' } },
    sinks: { print: { type: 'stdout', input: 's' } }
  })
  const tree = async (): Promise<Record<string, Uint8Array | string>> => await standardTree({
    '/flows/fn.js': 'export function f (x) { return x }\nexport default function (x) { return -x }\nexport const n = 1\n',
    '/flows/bad.js': 'export function f (x) {\n  return x +\n}\n'
  })

  it('accepts "js" with the export defaulting to the function\'s name, or "default"; the job ref says js', async () => {
    const { spec, modules } = await loadFromTree(await tree(), flow({ js: 'fn.js' }))
    assert.deepEqual(spec.functions.f, { name: 'f', js: '/flows/fn.js', wasm: '/flows/fn.js', export: 'f', abi: 'js' })
    const module = modules.get('f')
    assert.ok(module !== undefined)
    assert.deepEqual(functionRef(spec.functions.f, module.hash), { module: module.hash, export: 'f', js: true })
    const { spec: dflt } = await loadFromTree(await tree(), flow({ js: 'fn.js', export: 'default' }))
    assert.equal(dflt.functions.f.export, 'default')
  })

  it('a file that does not parse is refused naming the file, the field and the line', async () => {
    await assertRejected(await tree(), flow({ js: 'bad.js' }), 'functions.f.js', '/flows/bad.js', 'SyntaxError', 'bad.js:3')
  })

  it('a missing export, a non-function export and a missing file are refused at their field', async () => {
    await assertRejected(await tree(), flow({ js: 'fn.js', export: 'g' }), 'functions.f.export', '"g"', 'default, f')
    await assertRejected(await tree(), flow({ js: 'fn.js', export: 'n' }), 'functions.f.export', '"n"')
    await assertRejected(await tree(), flow({ js: 'gone.js' }), 'functions.f.js', 'gone.js does not exist')
  })

  it('"js" with "wasm", "abi" or "io" is refused', async () => {
    await assertRejected(await tree(), flow({ js: 'fn.js', wasm: 'fns.wasm' }), 'functions.f.wasm', 'either "wasm" or "js"')
    await assertRejected(await tree(), flow({ js: 'fn.js', abi: 'wasi' }), 'functions.f.abi', 'either "wasm" or "js"')
  })
})

describe('JS jobs on the wire and in batches', () => {
  const job: Job = { id: 4, fn: { module: 'ab'.repeat(32), export: 'split', js: true }, input: encodeValue('x'), timeoutMs: 1000 }

  it('travel as a 6-tuple ending in "js" and come back with js: true', () => {
    const wire = jobToWire(job)
    assert.equal(wire.length, 6)
    assert.equal(wire[5], 'js')
    assert.deepEqual(jobFromWire(wire), job)
    assert.ok(isCoordinatorMessage({ t: 'jobs', jobs: [wire] }))
    assert.ok(!isCoordinatorMessage({ t: 'jobs', jobs: [[...wire.slice(0, 5), 'python']] }))
  })

  it('a batch keeps a JS function apart from an ABI v1 export of the same name and hash', () => {
    const v1: Job = { ...job, id: 5, fn: { module: job.fn.module, export: 'split' } }
    const { fns } = packJobs([job, v1, job])
    assert.deepEqual(fns, [job.fn, v1.fn])
  })
})
