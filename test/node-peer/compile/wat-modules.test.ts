/**
 * ABI v1 with modules written by hand in WAT: the host refuses imports beyond the ABI, enforces the memory
 * cap, and the example fibonacci module (examples/fibonacci-wat/fib.wat) decodes and encodes correctly.
 */
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import wabtInit from 'wabt'
import { compileModule, FunctionInstance } from '../../../core/abi/host.js'
import type { CompiledModule } from '../../../core/abi/host.js'
import { encodeValue, decodeValue } from '../../../core/codec.js'
import { ModuleRejectedError, WasmTrapError } from '../../../core/errors.js'
import { BuildError, checkAbi, compileFunction, REPO_ROOT } from '../../../node-peer/compile/index.js'
import { join } from 'node:path'

async function wat (text: string): Promise<Uint8Array> {
  const wabt = await wabtInit()
  const module = wabt.parseWat('test.wat', text)
  try {
    module.validate()
    return module.toBinary({}).buffer
  } finally {
    module.destroy()
  }
}

/** A minimal valid ABI v1 module, plus `extra` module fields. */
const abiModule = (extra: string): string => `(module
  (import "env" "memory" (memory 1))
  ${extra}
  (global (export "grid_abi_1") i32 (i32.const 1))
  (func (export "grid_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "f") (param i32 i32)))`

describe('ABI v1 with hand-written modules: what the host refuses', () => {
  it('accepts the minimal module', async () => {
    const { info } = await compileModule(await wat(abiModule('')))
    assert.deepEqual(info.functions, ['f'])
  })

  const forbidden: Array<[string, string]> = [
    ['env.abort (AssemblyScript without the kit)', '(import "env" "abort" (func (param i32 i32 i32 i32)))'],
    ['wasi_snapshot_preview1.fd_write', '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))'],
    ['env.seed (Math.random)', '(import "env" "seed" (func (result f64)))'],
    ['a global from the host', '(import "env" "now" (global f64))']
  ]
  for (const [name, decl] of forbidden) {
    it(`rejects a module importing ${name} with ModuleRejectedError`, async () => {
      const bytes = await wat(abiModule(decl))
      await assert.rejects(compileModule(bytes), ModuleRejectedError)
      // The examples build refuses it too, before any flow runs.
      await assert.rejects(checkAbi(bytes, 'test.wat'), BuildError)
    })
  }

  it('rejects a module that defines its own memory instead of importing env.memory', async () => {
    const bytes = await wat(`(module (memory 1)
      (global (export "grid_abi_1") i32 (i32.const 1))
      (func (export "grid_alloc") (param i32) (result i32) (i32.const 0)))`)
    await assert.rejects(compileModule(bytes), (err: Error) => err instanceof ModuleRejectedError && /env\.memory/.test(err.message))
  })
})

describe('ABI v1 with hand-written modules: the memory cap', () => {
  it('a function growing memory past the cap fails with WasmTrapError; the memory stays within the cap', async () => {
    // grows one page at a time and writes to the new page; at the cap memory.grow returns -1 and the
    // module reports it with grid.fail, as a well-behaved module does.
    const bytes = await wat(`(module
      (import "env" "memory" (memory 1))
      (import "grid" "fail" (func $fail (param i32 i32)))
      (data (i32.const 16) "out of memory")
      (global (export "grid_abi_1") i32 (i32.const 1))
      (func (export "grid_alloc") (param i32) (result i32) (i32.const 1024))
      (func (export "hog") (param i32 i32)
        (local $i i32)
        (loop $more
          (if (i32.lt_s (memory.grow (i32.const 1)) (i32.const 0))
            (then (call $fail (i32.const 16) (i32.const 13)) (unreachable)))
          (i32.store (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 4)) (i32.const 7))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $more (i32.lt_u (local.get $i) (i32.const 100000))))))`)
    const compiled = await compileModule(bytes)
    const inst = await FunctionInstance.instantiate(compiled.module, compiled.memory, { maxMemoryPages: 32, maxOutputBytes: 1024 })
    assert.throws(() => inst.call('hog', encodeValue(null)), (err: Error) => err instanceof WasmTrapError && err.message === 'out of memory')
    assert.equal(inst.memoryBytes, 32 * 65536)
  })

  it('an access past the end of the capped memory traps', async () => {
    const bytes = await wat(abiModule('').replace('(func (export "f") (param i32 i32))',
      '(func (export "f") (param i32 i32) (drop (i32.load (i32.const 0x7fffff00))))'))
    const compiled = await compileModule(bytes)
    const inst = await FunctionInstance.instantiate(compiled.module, compiled.memory, { maxMemoryPages: 16, maxOutputBytes: 1024 })
    assert.throws(() => inst.call('f', encodeValue(1)), (err: Error) => err instanceof WasmTrapError && /out of bounds/.test(err.message))
  })
})

describe('examples/fibonacci-wat/fib.wat', () => {
  let fib: CompiledModule
  before(async () => {
    fib = await compileModule((await compileFunction(join(REPO_ROOT, 'examples/fibonacci-wat/fib.wat'))).bytes)
  })
  const instance = async (): Promise<FunctionInstance> => await FunctionInstance.instantiate(fib.module, fib.memory)
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

  it('follows the loop from [0, 1] to every Fibonacci number up to 10^15, on one instance', async () => {
    const inst = await instance()
    const expected: number[] = [0, 1]
    while (expected.at(-1)! <= 1e15) expected.push(expected.at(-1)! + expected.at(-2)!)
    // a is emitted while the previous b was ≤ 10^15: F(0)..F(73)
    const want = expected.slice(0, 74)
    const seen: number[] = []
    let item: Uint8Array | undefined = encodeValue([0, 1])
    for (let i = 0; i < 1000 && item != null; i++) {
      const out = inst.call('fib', item)
      assert.ok(out.length === 1 || out.length === 2)
      assert.equal(out[0].port, 0)
      seen.push(decodeValue(out[0].bytes) as number)
      item = out.find(o => o.port === 1)?.bytes
    }
    assert.deepEqual(seen, want)
    assert.equal(inst.memoryBytes, 65536) // the bump allocator is reset by every grid_alloc
  })

  it('decodes fixint and uint8/16/32/64 and encodes each output in the smallest form', async () => {
    const cases: Array<[string, string, string]> = [
      // input [a, b]          out a           next [b, a+b]
      ['92007f', '00', '927f7f'],
      ['927f01', '7f', '9201cc80'],
      ['92ccff01', 'ccff', '9201cd0100'],
      ['92cdffff01', 'cdffff', '9201ce00010000'],
      ['92ceffffffff01', 'ceffffffff', '9201cf0000000100000000'],
      ['92cf000000000000000502', '05', '920207'],
      ['92cc0acd0014', '0a', '92141e']
    ]
    for (const [input, a, next] of cases) {
      const out = (await instance()).call('fib', Buffer.from(input, 'hex'))
      assert.deepEqual(out.map(o => [o.port, hex(o.bytes)]), [[0, a], [1, next]], input)
    }
  })

  it('stops the loop once b exceeds 10^15', async () => {
    // 10^15 = 0x38d7ea4c68000, sent as uint64 (a JavaScript encoder would send it as a float64, which fib refuses)
    const out = (await instance()).call('fib', Buffer.from('9205cf00038d7ea4c68001', 'hex'))
    assert.deepEqual(out.map(o => [o.port, decodeValue(o.bytes)]), [[0, 5]])
    const atLimit = (await instance()).call('fib', Buffer.from('9205cf00038d7ea4c68000', 'hex'))
    assert.deepEqual(atLimit.map(o => [o.port, decodeValue(o.bytes)]), [[0, 5], [1, [1e15, 1e15 + 5]]])
  })

  it('fails with a message on anything else', async () => {
    const bad = ['9201', '91c0', '93010203', '92ff01', '92d00101', '92a16101', 'c0', '', '920101c0', '92cd01', '92cb3ff000000000000001']
    for (const input of bad) {
      const inst = await instance()
      assert.throws(() => inst.call('fib', Buffer.from(input, 'hex')),
        (err: Error) => err instanceof WasmTrapError && err.message === 'fib: expected [a, b], an array of two non-negative integers (fixint or uint8/16/32/64)',
        input)
    }
    const inst = await instance()
    assert.throws(() => inst.call('fib', Buffer.from('92cfffffffffffffffff01', 'hex')),
      (err: Error) => err instanceof WasmTrapError && err.message === 'fib: a + b does not fit in 64 bits')
  })
})
