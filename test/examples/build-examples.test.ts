/**
 * The examples build (examples/build-examples.ts): target discovery, mtime-based skipping, and clear
 * failures. Uses a temporary root holding WAT examples (fast); AssemblyScript compilation is covered by
 * test/core/abi/assemblyscript-kit.test.ts.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { buildExamples, findTargets, REPO_ROOT } from '../../examples/build-examples.js'
import { BuildError } from '../../node-peer/compile/index.js'
import { compileModule } from '../../core/abi/host.js'

const MINIMAL = `(module
  (import "env" "memory" (memory 1))
  (global (export "grid_abi_1") i32 (i32.const 1))
  (func (export "grid_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "f") (param i32 i32)))`

describe('examples build', () => {
  let root: string
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'edge-grid-build-'))
    await mkdir(join(root, 'examples', 'one'), { recursive: true })
    await writeFile(join(root, 'examples', 'one', 'mod.wat'), MINIMAL)
  })
  after(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('finds every AssemblyScript entry and WAT file of the repository examples', async () => {
    const targets = await findTargets()
    const outputs = targets.map(t => relative(REPO_ROOT, t.output)).sort()
    for (const expected of [
      'examples/collatz/build/collatz.wasm', 'examples/fibonacci-wat/build/fib.wasm', 'examples/mandelbrot/build/mandelbrot.wasm',
      'examples/primes/build/primes.wasm', 'examples/wordcount/build/wordcount.wasm'
    ]) assert.ok(outputs.includes(expected), `${expected} in ${outputs.join(', ')}`)
    const mandelbrot = targets.find(t => t.output.endsWith('mandelbrot.wasm'))!
    assert.equal(mandelbrot.kind, 'assemblyscript')
    assert.ok(mandelbrot.inputs.some(i => i.endsWith(join('core', 'abi', 'assemblyscript', 'index.ts'))), 'depends on the kit')
  })

  it('builds, then skips up-to-date outputs, then rebuilds when a source is newer', async () => {
    const first = await buildExamples({ root })
    assert.deepEqual(first.built, [join('examples', 'one', 'build', 'mod.wasm')])
    const bytes = await readFile(join(root, 'examples', 'one', 'build', 'mod.wasm'))
    assert.deepEqual((await compileModule(bytes)).info.functions, ['f'])

    const second = await buildExamples({ root })
    assert.deepEqual(second, { built: [], upToDate: [join('examples', 'one', 'build', 'mod.wasm')] })

    const future = new Date(Date.now() + 60_000)
    await utimes(join(root, 'examples', 'one', 'mod.wat'), future, future)
    assert.equal((await buildExamples({ root })).built.length, 1)
    assert.equal((await buildExamples({ root, force: true })).built.length, 1)
  })

  it('fails with BuildError naming the file for invalid WAT, and for a module outside the ABI', async () => {
    await mkdir(join(root, 'examples', 'two'), { recursive: true })
    await writeFile(join(root, 'examples', 'two', 'broken.wat'), '(module (func (export "f") (param i32 i32) (i32.add)))')
    await assert.rejects(buildExamples({ root }), (err: Error) => err instanceof BuildError && err.message.includes('broken.wat'))
    await writeFile(join(root, 'examples', 'two', 'broken.wat'), MINIMAL.replace('(global', '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))\n  (global'))
    await assert.rejects(buildExamples({ root }), (err: Error) => err instanceof BuildError && /fd_write/.test(err.message))
  })
})
