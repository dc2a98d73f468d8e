/**
 * The AssemblyScript kit (core/abi/assemblyscript) against the real host (core/abi/host.ts): value round
 * trips with exact smallest-form encodings, outputs and ports, failures with readable messages, bounded
 * memory over many calls, the memory cap, and the build's refusal of non-ABI imports.
 */
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { compileModule, FunctionInstance } from '../../../core/abi/host.js'
import type { CompiledModule } from '../../../core/abi/host.js'
import { encodeValue, decodeValue } from '../../../core/codec.js'
import { WasmTrapError } from '../../../core/errors.js'
import { join } from 'node:path'
import { AbiCheckError, BuildError, compileFunction, REPO_ROOT, SourceNotFoundError } from '../../../node-peer/compile/index.js'

/** Compiled from the repository root, so failure messages name `test/fixtures/…`. */
const compile = async (file: string): Promise<Uint8Array> => (await compileFunction(join(REPO_ROOT, file), { baseDir: REPO_ROOT })).bytes

const FIXTURE = 'test/fixtures/wasm/assembly/kit.ts'
let kit: CompiledModule

before(async () => {
  kit = await compileModule(await compile(FIXTURE))
})

async function instance (maxMemoryPages = 4096): Promise<FunctionInstance> {
  return await FunctionInstance.instantiate(kit.module, kit.memory, { maxMemoryPages, maxOutputBytes: 16 * 1024 * 1024 })
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))

/** Calls `fn` with raw input bytes on a fresh instance; returns the single output's bytes. */
async function one (fn: string, input: Uint8Array): Promise<Uint8Array> {
  const out = (await instance()).call(fn, input)
  assert.equal(out.length, 1, `${fn} emitted ${out.length} outputs`)
  assert.equal(out[0].port, 0)
  return out[0].bytes
}

describe('AssemblyScript kit: module shape', () => {
  it('imports only env.memory, grid.emit and grid.fail, and exports the ABI marker and allocator', () => {
    const imports = WebAssembly.Module.imports(kit.module).map(i => `${i.module}.${i.name}:${i.kind}`).sort()
    assert.deepEqual(imports, ['env.memory:memory', 'grid.emit:function', 'grid.fail:function'])
    const exports = WebAssembly.Module.exports(kit.module).map(e => e.name)
    assert.ok(exports.includes('grid_abi_1'))
    assert.ok(exports.includes('grid_alloc'))
    assert.ok(kit.info.functions.includes('echo'))
    assert.ok(!kit.info.functions.includes('grid_alloc'))
  })
})

describe('AssemblyScript kit: every value kind round-trips, in the smallest msgpack form', () => {
  // [description, msgpack bytes in the smallest form]: echo must return exactly the same bytes.
  const exact: Array<[string, string]> = [
    ['nil', 'c0'], ['false', 'c2'], ['true', 'c3'],
    ['0', '00'], ['127', '7f'], ['128', 'cc80'], ['255', 'ccff'], ['256', 'cd0100'], ['65535', 'cdffff'],
    ['65536', 'ce00010000'], ['2^32-1', 'ceffffffff'], ['2^32', 'cf0000000100000000'],
    ['2^53', 'cf0020000000000000'], ['2^63-1', 'cf7fffffffffffffff'],
    ['-1', 'ff'], ['-32', 'e0'], ['-33', 'd0df'], ['-128', 'd080'], ['-129', 'd1ff7f'], ['-32768', 'd18000'],
    ['-32769', 'd2ffff7fff'], ['-2^31', 'd280000000'], ['-2^31-1', 'd3ffffffff7fffffff'],
    ['-2^53', 'd3ffe0000000000000'], ['-2^63', 'd38000000000000000'],
    ['1.5', 'cb3ff8000000000000'], ['-0.0', 'cb8000000000000000'], ['Infinity', 'cb7ff0000000000000'],
    ['empty string', 'a0'], ['"abc"', 'a3616263'],
    ['empty bytes', 'c400'], ['bytes 1 2 3', 'c403010203'],
    ['empty array', '90'], ['empty map', '80'],
    ['[1, [2, "x"], {"a": nil}]', '93019202a178' + '81a161c0']
  ]
  for (const [name, bytes] of exact) {
    it(`echo ${name} → ${bytes}`, async () => {
      assert.equal(hex(await one('echo', fromHex(bytes))), bytes)
    })
  }

  it('accepts non-minimal integer forms and float32, and answers in the smallest form', async () => {
    assert.equal(hex(await one('echo', fromHex('cd0001'))), '01')
    assert.equal(hex(await one('echo', fromHex('d3ffffffffffffffff'))), 'ff')
    assert.equal(hex(await one('echo', fromHex('d0ff'))), 'ff')
    assert.equal(hex(await one('echo', fromHex('cf00000000000000ff'))), 'ccff')
    assert.equal(hex(await one('echo', fromHex('ca3fc00000'))), 'cb3ff8000000000000') // float32 1.5 → float64
    assert.equal(hex(await one('echo', fromHex('d90161'))), 'a161') // str8 "a" → fixstr
    assert.equal(hex(await one('echo', fromHex('dc0001c0'))), '91c0') // array16 [nil] → fixarray
    assert.equal(hex(await one('echo', fromHex('de0001a161c3'))), '81a161c3') // map16 → fixmap
  })

  it('uses the length forms at their boundaries: fixstr/str8/16/32, bin8/16/32, fixarray/array16/32, fixmap/map16', async () => {
    const cases: Array<[unknown, string]> = [
      ['x'.repeat(31), 'bf'], ['x'.repeat(32), 'd9'], ['x'.repeat(255), 'd9'], ['x'.repeat(256), 'da'],
      ['x'.repeat(65535), 'da'], ['x'.repeat(65536), 'db'],
      [new Uint8Array(255), 'c4'], [new Uint8Array(256), 'c5'], [new Uint8Array(65535), 'c5'], [new Uint8Array(65536), 'c6'],
      [Array(15).fill(1), '9f'], [Array(16).fill(1), 'dc'], [Array(65535).fill(0), 'dc'], [Array(65536).fill(0), 'dd'],
      [Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, i])), '8f'],
      [Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i])), 'de']
    ]
    for (const [value, tag] of cases) {
      const out = await one('echo', encodeValue(value))
      assert.equal(hex(out.subarray(0, 1)), tag, `tag for ${describeValue(value)}`)
      assert.deepEqual(decodeValue(out), value)
    }
  })

  it('round-trips what the host encodes: strings with non-ASCII text, 100 KB bytes, ±2^53, nested containers', async () => {
    const big = new Uint8Array(100 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff
    const values: unknown[] = [
      'héllo wörld ✓ 日本語 😀', '', 'a\u0000b', big, new Uint8Array(0),
      2 ** 53, -(2 ** 53), 2 ** 53 - 1, 0.1, -1e300, 5e-324,
      9007199254740993n, -9223372036854775808n, 9223372036854775807n,
      [[[[[]]]]], [1, 'two', [3, [4, { five: [6, null, true, false] }]]],
      { name: 'grid', tags: ['a', 'b'], nested: { deep: { deeper: new Uint8Array([1, 2]) } }, empty: {} }
    ]
    const inst = await instance()
    for (const value of values) {
      const [out] = inst.call('echo', encodeValue(value))
      assert.deepEqual(decodeValue(out.bytes), value, describeValue(value))
    }
  })

  it('keeps map entries in order, including duplicate keys as sent', async () => {
    // {"b": 1, "a": 2, "b": 3}: the kit keeps parallel key/value lists, it does not merge.
    assert.equal(hex(await one('echo', fromHex('83a16201a16102a16203'))), '83a16201a16102a16203')
  })

  it('decodes nesting 500 deep and refuses 600 deep with a message instead of overflowing the stack', async () => {
    const deep = (n: number): Uint8Array => new Uint8Array([...Array(n).fill(0x91), 0xc0])
    assert.equal(hex(await one('echo', deep(500))), hex(deep(500)))
    await assert.rejects(one('echo', deep(600)), (err: Error) => err instanceof WasmTrapError && /nesting deeper than 512/.test(err.message))
  })

  it('fast paths: inputInt/emitInt, inputString/emitString', async () => {
    const inst = await instance()
    for (const n of [0, 21, 63, 64, 1000, -5, 2 ** 31, -(2 ** 40)]) {
      assert.equal(decodeValue(inst.call('double', encodeValue(n))[0].bytes), n * 2)
    }
    assert.equal(decodeValue(inst.call('double', encodeValue(2 ** 40))[0].bytes), 2 ** 41) // the host sends 2^40 as a float64
    assert.equal(decodeValue(inst.call('echoString', encodeValue('ünï ✓'))[0].bytes), 'ünï ✓')
  })

  it('refuses malformed and trailing input with a msgpack message', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['echo', 'c1', /msgpack: cannot decode the reserved byte 0xc1/],
      ['echo', 'a5616263', /input ends in the middle of a value/],
      ['echo', '0101', /1 unexpected bytes after the value/],
      ['echo', '81', /input ends where a value was expected/],
      ['echo', '8101c0', /map keys must be strings \(got an integer\)/],
      ['echo', 'dd7fffffff', /container of 2147483647 items in a shorter input/],
      ['echo', 'cfffffffffffffffff', /unsigned integer 18446744073709551615 does not fit in i64/],
      ['echo', 'd40100', /cannot decode an ext value/],
      ['double', 'a161', /expected an integer, got a string/],
      ['double', 'cb3ff8000000000000', /expected an integer, got the float 1.5/]
    ]
    for (const [fn, input, message] of cases) {
      await assert.rejects(one(fn, fromHex(input)), (err: Error) => err instanceof WasmTrapError && message.test(err.message), `${fn}(${input})`)
    }
  })
})

describe('AssemblyScript kit: outputs', () => {
  it('zero outputs', async () => {
    assert.deepEqual((await instance()).call('none', encodeValue([1, 2])), [])
  })

  it('many outputs on several ports, in emit order', async () => {
    const out = (await instance()).call('spread', encodeValue(7))
    assert.deepEqual(out.map(o => [o.port, decodeValue(o.bytes)]), [
      [0, 0], [1, 1], [2, 2], [0, 3], [1, 4], [2, 5], [0, 6], [3, 'done']
    ])
  })

  it('scalar fast paths and a hand-written array', async () => {
    const out = (await instance()).call('scalars', encodeValue(null))
    assert.deepEqual(out.map(o => [o.port, hex(o.bytes)]), [
      [0, 'c0'], [0, 'c3'], [0, 'cb3fd0000000000000'], [0, 'd1ff38'], [1, '9201a374776f']
    ])
  })

  it('outputs are copies: a later call does not change earlier outputs', async () => {
    const inst = await instance()
    const first = inst.call('echo', encodeValue('first value'))
    inst.call('echo', encodeValue('second, longer value'))
    assert.equal(decodeValue(first[0].bytes), 'first value')
  })
})

describe('AssemblyScript kit: failures become WasmTrapError with a readable message', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['assertFails', 3, /^input must be negative at test\/fixtures\/wasm\/assembly\/kit\.ts:\d+:\d+$/],
    ['throws', 'x', /^thrown: x at test\/fixtures\/wasm\/assembly\/kit\.ts:\d+:\d+$/],
    ['failsWith', 'ünïcode', /^custom failure: ünïcode$/],
    ['outOfBounds', 5, /^Index out of range at ~lib\/array\.ts:\d+:\d+$/],
    ['traps', 1, /unreachable/]
  ]
  for (const [fn, input, message] of cases) {
    it(`${fn}`, async () => {
      const inst = await instance()
      assert.throws(() => inst.call(fn, encodeValue(input)), (err: Error) => {
        assert.ok(err instanceof WasmTrapError, `${err.name}: ${err.message}`)
        assert.match(err.message, message)
        return true
      })
      assert.equal(inst.broken, true)
    })
  }

  it('a failure after some outputs fails the whole call', async () => {
    const inst = await instance()
    assert.throws(() => inst.call('emitsThenFails', encodeValue(1)), (err: Error) => err instanceof WasmTrapError && err.message === 'failed after emitting')
  })
})

describe('AssemblyScript kit: memory', () => {
  it('stays bounded over 200,000 calls that allocate strings, arrays and Values on one instance', async () => {
    const inst = await instance()
    const input = encodeValue(20)
    const joined = Array.from({ length: 20 }, (_, i) => `item-${i}`).join(',')
    const expected = hex(encodeValue([joined.length, 20]))
    let peak = 0
    for (let i = 0; i < 200_000; i++) {
      const out = inst.call('churn', input)
      if (i % 10_000 === 0) {
        assert.equal(hex(out[0].bytes), expected)
        peak = Math.max(peak, inst.memoryBytes)
      }
    }
    peak = Math.max(peak, inst.memoryBytes)
    // Measured: 64 KiB (one page) with --runtime incremental. 1 MiB leaves room for allocator changes.
    assert.ok(peak <= 1024 * 1024, `memory grew to ${peak} bytes`)
  })

  it('stays bounded when inputs and outputs are large (100 KB per call, 2,000 calls)', async () => {
    const inst = await instance()
    const input = encodeValue(new Uint8Array(100 * 1024).fill(7))
    for (let i = 0; i < 2000; i++) inst.call('echo', input)
    assert.ok(inst.memoryBytes <= 4 * 1024 * 1024, `memory grew to ${inst.memoryBytes} bytes`)
  })

  it('collects garbage inside one call: 20,000 string concatenations (≈400 MB of garbage) fit in a 4 MiB cap', async () => {
    // This is why the kit uses the incremental runtime: with --runtime minimal (collect between calls only)
    // or stub (never free) this call runs out of memory.
    const inst = await instance(64)
    assert.equal(decodeValue(inst.call('concat', encodeValue(20_000))[0].bytes), 20_000)
  })

  it('a function that allocates beyond the memory cap fails with WasmTrapError, memory still within the cap', async () => {
    const capPages = 64 // 4 MiB
    const inst = await instance(capPages)
    assert.equal(decodeValue(inst.call('hog', encodeValue(2))[0].bytes), 2)
    assert.throws(() => inst.call('hog', encodeValue(100)), WasmTrapError)
    assert.ok(inst.memoryBytes <= capPages * 65536)
  })
})

describe('AssemblyScript kit: the build refuses what ABI v1 does not provide', () => {
  it('Math.random (env.seed) fails the build with a hint to use a seeded PRNG', async () => {
    await assert.rejects(compile('test/fixtures/wasm/assembly/uses-random.ts'), (err: Error) => {
      assert.ok(err instanceof AbiCheckError && err instanceof BuildError)
      assert.match(err.message, /env\.seed/)
      assert.match(err.message, /seeded PRNG/)
      return true
    })
  })

  it('a missing source is a SourceNotFoundError (a BuildError)', async () => {
    await assert.rejects(compile('test/fixtures/wasm/assembly/does-not-exist.ts'), (err: Error) => err instanceof SourceNotFoundError && err instanceof BuildError)
  })
})

function describeValue (value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : v) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}
