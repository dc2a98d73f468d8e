/**
 * The WASI host (core/abi/wasi/) on its own, in this thread: the io modes byte for byte, output and memory
 * caps, the deterministic random generator, the memory-section rewrite, and flow validation of `abi`/`io`.
 * Behaviour inside executors (timeouts, EBADF, exit codes, in Node and Chromium) is core/executor/wasi-suite.ts.
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import wabtInit from 'wabt'
import { DEFAULT_LIMITS } from '../../../core/abi/abi.js'
import { compileWasiCommand, runWasiCommand, WasiRunner } from '../../../core/abi/wasi/command.js'
import type { CompiledWasiCommand } from '../../../core/abi/wasi/command.js'
import { outputsFrom, splitMsgpack, stdinFor } from '../../../core/abi/wasi/io.js'
import { capMemory } from '../../../core/abi/wasi/memory-cap.js'
import { mutableGlobalCount } from '../../../core/abi/wasi/reuse.js'
import { SeededRandom } from '../../../core/abi/wasi/seeded-random.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { ModuleRejectedError, OutputLimitError, WasiIoError, WasmTrapError } from '../../../core/errors.js'
import { compileC, compileRust } from '../../../examples/build-native.js'
import { buildWasiFixture } from '../../fixtures/executor/fixtures.js'
import { assertRejected, loadFromTree, standardTree } from '../flow/helpers.js'

const source = (name: string): string => fileURLToPath(new URL(`../../../../test/fixtures/wasi/${name}`, import.meta.url))

async function wat (text: string): Promise<Uint8Array> {
  const wabt = await wabtInit()
  const module = wabt.parseWat('test.wat', text)
  try {
    return new Uint8Array(module.toBinary({}).buffer)
  } finally {
    module.destroy()
  }
}

let copyBytes: Uint8Array
let copy: CompiledWasiCommand
before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'grid-wasi-test-'))
  copyBytes = await compileC(source('copy.c'), join(dir, 'copy.wasm'))
  copy = await compileWasiCommand(copyBytes, DEFAULT_LIMITS.maxMemoryPages)
})

const values = (outputs: ReadonlyArray<{ port: number, bytes: Uint8Array }>): Array<[number, unknown]> => outputs.map(o => [o.port, decodeValue(o.bytes)])

describe('WASI io modes (a C program copying stdin to stdout twice)', () => {
  it('json: the item is one JSON line in; each output line is one value out', async () => {
    const item = { a: [1, 'x', null, true], 'ü': -2.5 }
    assert.deepEqual(values(await runWasiCommand(copy, 'json', encodeValue(item), DEFAULT_LIMITS)), [[0, item], [0, item]])
  })

  it('json: integers beyond 2^53 reach stdin exactly', () => {
    const big = 2n ** 60n + 1n
    assert.equal(new TextDecoder().decode(stdinFor('json', encodeValue([big]))), `[${big}]\n`)
  })

  it('msgpack: stdin holds the item\'s bytes; stdout is a stream of values, passed on byte for byte', async () => {
    for (const item of [0, -1, 'text', [1, [2, [3]]], { k: new Uint8Array([0, 1, 2]) }, 2 ** 40, 1.5, null]) {
      const input = encodeValue(item)
      const outputs = await runWasiCommand(copy, 'msgpack', input, DEFAULT_LIMITS)
      assert.equal(outputs.length, 2, JSON.stringify(item))
      for (const o of outputs) assert.deepEqual([...o.bytes], [...input])
    }
  })

  it('bytes: byte arrays and strings (as UTF-8) in, one byte-array output per written port', async () => {
    const raw = new Uint8Array([0, 1, 2, 255, 10])
    const bytesOut = async (item: unknown): Promise<Array<[number, number[]]>> =>
      values(await runWasiCommand(copy, 'bytes', encodeValue(item), DEFAULT_LIMITS)).map(([port, v]) => [port, [...(v as Uint8Array)]])
    assert.deepEqual(await bytesOut(raw), [[0, [...raw, ...raw]]])
    assert.deepEqual(await bytesOut('hé'), [[0, [...new TextEncoder().encode('héhé')]]])
    assert.deepEqual(await runWasiCommand(copy, 'bytes', encodeValue(''), DEFAULT_LIMITS), [], 'nothing written: no output (a filter)')
    await assert.rejects(runWasiCommand(copy, 'bytes', encodeValue(12), DEFAULT_LIMITS), (err: Error) => err instanceof WasiIoError && /byte arrays or strings, got a number/.test(err.message))
  })

  it('json refuses byte-array items, naming the modes that carry them', async () => {
    await assert.rejects(runWasiCommand(copy, 'json', encodeValue([new Uint8Array(2)]), DEFAULT_LIMITS), (err: Error) => err instanceof WasiIoError && err.message.includes('"io": "msgpack"'))
  })

  it('malformed outputs fail with WasiIoError naming the port and line', () => {
    const enc = new TextEncoder()
    assert.throws(() => outputsFrom('json', [enc.encode('1\n'), enc.encode('[1,2]\nnot json\n')]), (err: Error) => err instanceof WasiIoError && /port 1 \(fd 3\), line 2/.test(err.message) && err.message.includes('not json'))
    assert.throws(() => splitMsgpack(new Uint8Array([0x92, 0x01]), 0), (err: Error) => err instanceof WasiIoError && /ends in the middle/.test(err.message))
    assert.throws(() => splitMsgpack(new Uint8Array([0xd4, 0x01, 0x02]), 0), (err: Error) => err instanceof WasiIoError && /extension/.test(err.message))
    assert.deepEqual(values(outputsFrom('json', [enc.encode('1\n\n  \n"a"'), undefined, enc.encode('{"x":[]}\n')])), [[0, 1], [0, 'a'], [2, { x: [] }]])
  })

  it('the output cap fails the call with OutputLimitError', async () => {
    await assert.rejects(runWasiCommand(copy, 'msgpack', encodeValue('x'.repeat(1000)), { ...DEFAULT_LIMITS, maxOutputBytes: 1500 }), OutputLimitError)
  })

  it('two runs of the same job see the same clock and random bytes; other inputs other random bytes', async () => {
    const wasi = await compileWasiCommand(await buildWasiFixture(), 64)
    const a = await runWasiCommand(wasi, 'json', encodeValue('rand'), DEFAULT_LIMITS)
    const b = await runWasiCommand(wasi, 'json', encodeValue('rand'), DEFAULT_LIMITS)
    assert.deepEqual(a, b)
    const fill = (seed: Uint8Array): Uint8Array => { const out = new Uint8Array(16); new SeededRandom(seed).fill(out); return out }
    assert.deepEqual(fill(encodeValue(1)), fill(encodeValue(1)))
    assert.notDeepEqual(fill(encodeValue(1)), fill(encodeValue(2)))
  })
})

describe('WASI in Rust (examples/collatz-rust/wasi/collatz.rs)', () => {
  it('writes port 0 on stdout and port 1 on fd 3; a panic fails the job with its message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grid-wasi-rust-'))
    const example = fileURLToPath(new URL('../../../../examples/collatz-rust/wasi/collatz.rs', import.meta.url))
    const command = await compileWasiCommand(await compileRust(example, join(dir, 'collatz.wasm')), DEFAULT_LIMITS.maxMemoryPages)
    const runner = new WasiRunner(command)
    assert.deepEqual(values(runner.run('json', encodeValue(27), DEFAULT_LIMITS)), [[0, [27, 111]], [1, ['longest', [27, 111]]]])
    assert.throws(() => runner.run('json', encodeValue('x'), DEFAULT_LIMITS), (err: Error) => err instanceof WasmTrapError && err.message.includes('panicked') && err.message.includes('expected a start n >= 1'))
    assert.deepEqual(values(runner.run('json', encodeValue(1), DEFAULT_LIMITS)), [[0, [1, 0]], [1, ['longest', [1, 0]]]])
  })
})

describe('WASI instance reuse (memory restored to its snapshot after a clean run)', () => {
  it('gives exactly the outputs and failures of fresh instances, and a fresh instance after any failure', async () => {
    const bytes = await buildWasiFixture()
    assert.equal(mutableGlobalCount(bytes), 1, 'clang output: only __stack_pointer is mutable')
    const wasi = await compileWasiCommand(bytes, 64)
    assert.equal(wasi.reusable, true)
    const runner = new WasiRunner(wasi)
    const items: unknown[] = ['a', 'rand', { k: [1, 2] }, 'exit', 'rand', 'trap', 'open', 'b', 'bomb', 'rand', 'c']
    const outcome = async (run: () => Promise<unknown> | unknown): Promise<unknown> => {
      try { return await run() } catch (err) { return `${(err as Error).name}: ${(err as Error).message}` }
    }
    for (const item of items) {
      const fresh = await outcome(async () => await runWasiCommand(wasi, 'json', encodeValue(item), DEFAULT_LIMITS))
      const reused = await outcome(() => runner.run('json', encodeValue(item), DEFAULT_LIMITS))
      assert.deepEqual(reused, fresh, JSON.stringify(item))
    }
    // new instances: the first, after the exit, after the trap, after the bomb grew memory
    assert.equal(runner.instances, 4)
  })

  it('a module with other mutable globals is never reused', async () => {
    const bytes = await wat('(module (global $a (mut i32) (i32.const 0)) (global $b (mut i64) (i64.const 1)) (memory (export "memory") 1) (func (export "_start")))')
    assert.equal(mutableGlobalCount(bytes), 2)
    const command = await compileWasiCommand(bytes, 64)
    assert.equal(command.reusable, false)
    const runner = new WasiRunner(command)
    for (let i = 0; i < 3; i++) runner.run('json', encodeValue(i), DEFAULT_LIMITS)
    assert.equal(runner.instances, 3)
  })
})

describe('WASI memory cap (the module\'s memory section is rewritten)', () => {
  const module = (limits: string): string => `(module (memory (export "memory") ${limits}) (func (export "_start")))`

  it('sets the maximum to the cap, or keeps a lower declared one', async () => {
    const uncapped = capMemory(await wat(module('2')), 64)
    assert.equal(uncapped.maximumPages, 64)
    const lower = capMemory(await wat(module('2 10')), 64)
    assert.equal(lower.maximumPages, 10)
    const higher = capMemory(await wat(module('2 1000')), 64)
    assert.equal(higher.maximumPages, 64)
    const instance = new WebAssembly.Instance(new WebAssembly.Module(uncapped.bytes as Uint8Array<ArrayBuffer>))
    const memory = instance.exports.memory as WebAssembly.Memory
    assert.equal(memory.grow(62), 2)
    assert.throws(() => memory.grow(1), RangeError, 'past the cap')
  })

  it('refuses a module asking for more at start than the cap, and one without a memory', async () => {
    const big = await wat(module('100'))
    assert.throws(() => capMemory(big, 64), (err: Error) => err instanceof ModuleRejectedError && /100 memory pages at start, above the cap of 64/.test(err.message))
    await assert.rejects(compileWasiCommand(await wat('(module (func (export "_start")))'), 64), (err: Error) => err instanceof ModuleRejectedError && /memory/.test(err.message))
  })

})

describe('flow.json: "abi" and "io"', () => {
  let tree: Record<string, Uint8Array | string>
  before(async () => {
    tree = await standardTree({
      '/flows/copy.wasm': copyBytes,
      '/flows/env-import.wasm': await wat('(module (import "env" "now" (func)) (memory (export "memory") 1) (func (export "_start")))')
    })
  })
  const flow = (fn: Record<string, unknown>): Record<string, unknown> => ({
    name: 'wasi',
    functions: { f: fn },
    sources: { nums: { type: 'range', start: 1, end: 3 } },
    stages: { s: { function: 'f', input: 'nums' } },
    sinks: { print: { type: 'stdout', input: 's' } }
  })

  it('accepts a WASI command with "abi": "wasi"; "io" defaults to json', async () => {
    const { spec } = await loadFromTree(tree, flow({ wasm: 'copy.wasm', abi: 'wasi' }))
    assert.deepEqual(spec.functions.f, { name: 'f', wasm: '/flows/copy.wasm', export: '_start', abi: 'wasi', io: 'json' })
    const { spec: msgpack } = await loadFromTree(tree, flow({ wasm: 'copy.wasm', abi: 'wasi', io: 'msgpack' }))
    assert.equal(msgpack.functions.f.abi === 'wasi' && msgpack.functions.f.io, 'msgpack')
  })

  it('a WASI command without "abi": "wasi" is told to declare it', async () => {
    await assertRejected(tree, flow({ wasm: 'copy.wasm' }), 'functions.f.abi', '"wasi"', 'wasi_snapshot_preview1.', '"io"')
  })

  it('an ABI v1 module declared "wasi" is told to drop it', async () => {
    await assertRejected(tree, flow({ wasm: 'fns.wasm', abi: 'wasi' }), 'functions.f.abi', 'not a WASI command', 'ABI v1', 'drop "abi"')
  })

  it('a WASI module importing outside wasi_snapshot_preview1 is refused, naming the import', async () => {
    await assertRejected(tree, flow({ wasm: 'env-import.wasm', abi: 'wasi' }), 'functions.f.wasm', 'env.now', 'wasi_snapshot_preview1')
  })

  it('bad "abi" and "io" values list the expected ones', async () => {
    await assertRejected(tree, flow({ wasm: 'copy.wasm', abi: 'WASI' }), 'functions.f.abi', '"v1" or "wasi"', 'got the string "WASI"')
    await assertRejected(tree, flow({ wasm: 'copy.wasm', abi: 'wasi', io: 'text' }), 'functions.f.io', '"json", "msgpack", "bytes"', 'got the string "text"')
    await assertRejected(tree, flow({ wasm: 'fns.wasm', export: 'double', io: 'json' }), 'functions.f.io', 'only for WASI commands', '"abi": "wasi"')
    await assertRejected(tree, flow({ wasm: 'copy.wasm', abi: 'wasi', export: 'main' }), 'functions.f.export', '_start')
  })
})
