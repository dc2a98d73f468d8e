/**
 * The native ABI v1 kits (core/abi/c/grid.h, core/abi/rust/grid.rs): modules built with Debian's clang and
 * rustc pass the ABI checks, read and write every msgpack form the host uses, and fail cleanly.
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compileModule, FunctionInstance } from '../../../core/abi/host.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { WasmTrapError } from '../../../core/errors.js'
import { compileC, compileRust } from '../../../examples/build-native.js'

const source = (name: string): string => fileURLToPath(new URL(`../../../../test/fixtures/kits/${name}`, import.meta.url))
const INTS = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53) + 1]

for (const [language, file, build] of [['C', 'kit.c', compileC], ['Rust', 'kit.rs', compileRust]] as const) {
  describe(`the ${language} kit`, () => {
    let instance: FunctionInstance
    before(async () => {
      const dir = await mkdtemp(join(tmpdir(), 'grid-kit-'))
      const compiled = await compileModule(await build(source(file), join(dir, 'kit.wasm'), 'v1'))
      assert.deepEqual(compiled.info.functions.filter(f => ['each', 'shapes', 'refuse'].includes(f)).sort(), ['each', 'refuse', 'shapes'])
      instance = await FunctionInstance.instantiate(compiled.module, compiled.memory)
    })
    const call = (fn: string, input: unknown): Array<[number, unknown]> => instance.call(fn, encodeValue(input)).map(o => [o.port, decodeValue(o.bytes)])

    it('reads and writes integers of every width, in their smallest form', () => {
      const outputs = instance.call('each', encodeValue(INTS))
      assert.deepEqual(outputs.map(o => decodeValue(o.bytes)), INTS)
      // msgpackr writes the smallest form up to 32 bits: the kit must give the same bytes
      INTS.forEach((n, i) => { if (Math.abs(n) < 2 ** 31) assert.deepEqual([...outputs[i].bytes], [...encodeValue(n)], `bytes of ${n}`) })
    })

    it('reads floats (an integral float as an integer too) and strings', () => {
      assert.deepEqual(call('each', [1.5, -0.25, 'héllo', 'x'.repeat(40), 'y'.repeat(300)]), [[0, 1.5], [0, -0.25], [0, 'héllo'], [0, 'x'.repeat(40)], [0, 'y'.repeat(300)]])
    })

    it('writes arrays, strings, byte arrays, nil and booleans on any port', () => {
      for (const n of [0, 3, 300, 70000]) {
        const [[port, value]] = call('shapes', n) as Array<[number, [number, string, Uint8Array, null, boolean]]>
        assert.equal(port, 1)
        assert.deepEqual([value[0], value[1], value[3], value[4]], [n, 'n', null, true])
        assert.deepEqual([...value[2]], Array.from({ length: n }, (_, i) => i & 0xff))
      }
    })

    it('keeps memory bounded over 20,000 calls', () => {
      for (let i = 0; i < 1000; i++) instance.call('shapes', encodeValue(100))
      const settled = instance.memoryBytes
      for (let i = 0; i < 20_000; i++) instance.call('shapes', encodeValue(100 + (i % 50)))
      assert.equal(instance.memoryBytes, settled)
    })

    it('fails with the message given, and on malformed input with a msgpack message (Rust: a panic with its message)', () => {
      assert.throws(() => call('refuse', 1), (err: Error) => err instanceof WasmTrapError && err.message.includes('refused: bad input'))
      assert.throws(() => instance.call('each', new Uint8Array([0x92, 0x01])), (err: Error) => err instanceof WasmTrapError && /msgpack: input ends/.test(err.message))
      if (language === 'Rust') assert.throws(() => call('panics', 7), (err: Error) => err instanceof WasmTrapError && /index out of bounds/.test(err.message))
    })
  })
}
