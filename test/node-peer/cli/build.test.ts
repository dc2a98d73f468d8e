/**
 * grid-build as a user meets it: a function written in a folder outside the repository, importing the kit as
 * "edge-grid/kit" and a module of its own, built by the real CLI and run by the real grid-coordinator;
 * WAT; the default and explicit output paths; failure messages compiled into the module naming the
 * user's file:line; and the errors (missing file, compile errors with file:line:column, the kit imported by
 * its path, unknown option) with exit code 2.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compileModule, FunctionInstance } from '../../../core/abi/host.js'
import { encodeValue } from '../../../core/codec.js'
import { WasmTrapError } from '../../../core/errors.js'
import { repoRoot, runBin, runCoordinator, sinkLines } from '../../helpers/cli.js'

const UTIL = `// a module of the user's own, imported by a relative path
export function collatzSteps(start: i64): i64 {
  let n = start;
  let steps: i64 = 0;
  while (n != 1) {
    n = n % 2 == 0 ? n / 2 : 3 * n + 1;
    steps++;
  }
  return steps;
}
`

const FN = `export { grid_abi_1, grid_alloc } from "edge-grid/kit";
import { inputInt, emit, Value } from "edge-grid/kit";
import { collatzSteps } from "./util";

/** [n, steps of n's Collatz chain to 1] */
export function steps(ptr: usize, len: usize): void {
  const n = inputInt(ptr, len);
  assert(n >= 1, "n must be positive");
  emit(0, Value.array([Value.int(n), Value.int(collatzSteps(n))]));
}
`

const WAT = `(module
  (import "env" "memory" (memory 1))
  (import "grid" "emit" (func $emit (param i32 i32 i32)))
  (global (export "grid_abi_1") i32 (i32.const 1))
  (func (export "grid_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "echo") (param $ptr i32) (param $len i32)
    (call $emit (i32.const 0) (local.get $ptr) (local.get $len))))`

const FLOW = {
  name: 'steps',
  functions: { steps: { wasm: 'build/fn.wasm' } },
  sources: { nums: { type: 'range', start: 1, end: 31 } },
  stages: { counted: { function: 'steps', input: 'nums' } },
  sinks: { out: { type: 'stdout', input: 'counted' } }
}

/** The chain lengths by another route than the module's loop: a memoised recursion. */
function expectedSteps (n: number, memo = new Map<number, number>([[1, 0]])): number {
  const known = memo.get(n)
  if (known != null) return known
  const steps = 1 + expectedSteps(n % 2 === 0 ? n / 2 : 3 * n + 1, memo)
  memo.set(n, steps)
  return steps
}

describe('grid-build CLI', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-grid-build-cli-'))
    assert.ok(!dir.startsWith(repoRoot), 'the folder is outside the repository')
    await writeFile(join(dir, 'util.ts'), UTIL)
    await writeFile(join(dir, 'fn.ts'), FN)
    await writeFile(join(dir, 'flow.json'), JSON.stringify(FLOW, null, 2))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('builds fn.ts in a folder outside the repository to build/fn.wasm, and grid-coordinator runs it', async () => {
    const build = await runBin('grid-build', ['fn.ts'], { cwd: dir })
    assert.equal(build.code, 0, build.stderr)
    assert.match(build.stdout, /^built build\/fn\.wasm \(\d+\.\d KiB, \d+\.\d s\): steps\n$/)
    assert.equal(build.stderr, '')

    const run = await runCoordinator(['flow.json', '--workers', '1', '--local-only', '--no-journal'], { cwd: dir })
    assert.equal(run.code, 0, run.stderr)
    const got = sinkLines(run.stdout, 'out').map(l => JSON.parse(l) as [number, number]).sort((a, b) => a[0] - b[0])
    assert.deepEqual(got, Array.from({ length: 30 }, (_, i) => [i + 1, expectedSteps(i + 1)]))
  })

  it('takes a source by path from another folder, writes -o, and failure messages name the source file:line', async () => {
    const out = join(dir, 'elsewhere', 'steps.wasm')
    const build = await runBin('grid-build', [join(dir, 'fn.ts'), '-o', out], { cwd: repoRoot })
    assert.equal(build.code, 0, build.stderr)
    assert.ok(build.stdout.startsWith(`built ${out} (`) && build.stdout.endsWith('): steps\n'), build.stdout) // outside the cwd: absolute

    const compiled = await compileModule(await readFile(out))
    const instance = await FunctionInstance.instantiate(compiled.module, compiled.memory)
    const line = FN.split('\n').findIndex(l => l.includes('assert(')) + 1
    // relative to the source's folder (it is outside the current directory), as the user wrote it
    assert.throws(() => instance.call('steps', encodeValue(0)), (err: Error) =>
      err instanceof WasmTrapError && err.message === `n must be positive at fn.ts:${line}:3`)
  })

  it('assembles WAT to build/<name>.wasm beside it', async () => {
    await writeFile(join(dir, 'echo.wat'), WAT)
    const build = await runBin('grid-build', ['echo.wat', '--quiet'], { cwd: dir })
    assert.equal(build.code, 0, build.stderr)
    assert.equal(build.stdout, '')
    const compiled = await compileModule(await readFile(join(dir, 'build', 'echo.wasm')))
    assert.deepEqual(compiled.info.functions, ['echo'])
  })

  it('reports every bad source with exit code 2: a missing file, compile errors at file:line:column, the kit imported by its path', async () => {
    await writeFile(join(dir, 'bad.ts'), [
      'export { grid_abi_1, grid_alloc } from "edge-grid/kit";',
      'import { inputInt, emitInt } from "edge-grid/kit";',
      'export function f(ptr: usize, len: usize): void {',
      '  emitInt(0, inputInt(ptr, len) * missing);',
      '}',
      ''
    ].join('\n'))
    await writeFile(join(dir, 'by-path.ts'), [
      '// the old way, which only worked inside the repository',
      `export { grid_abi_1, grid_alloc } from "${join(repoRoot, 'core/abi/assemblyscript')}";`,
      'export function f(ptr: usize, len: usize): void {}',
      ''
    ].join('\n'))
    const build = await runBin('grid-build', ['missing.ts', 'bad.ts', 'by-path.ts'], { cwd: dir })
    assert.equal(build.code, 2)
    assert.equal(build.stdout, '')
    assert.match(build.stderr, /^grid-build: missing\.ts: no such file$/m)
    assert.match(build.stderr, /^grid-build: bad\.ts: compilation failed with 1 error\nbad\.ts:4:35: error TS2304: Cannot find name 'missing'\.\n {4}4 │ {3}emitInt\(0, inputInt\(ptr, len\) \* missing\);\n {4} {2}│ {35}~{7}$/m)
    assert.match(build.stderr, /^by-path\.ts:2:40: error: imports the kit by its path ".*core\/abi\/assemblyscript"$/m)
    assert.match(build.stderr, /hint: import the kit as "edge-grid\/kit"/)
  })

  it('refuses an unknown option and a missing source with exit code 2; --help explains the kit import', async () => {
    const unknown = await runBin('grid-build', ['--bogus', 'fn.ts'], { cwd: dir })
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /Unknown option '--bogus'[\s\S]*Run grid-build --help for usage\./)
    const none = await runBin('grid-build', [], { cwd: dir })
    assert.equal(none.code, 2)
    assert.match(none.stderr, /no source file given/)
    const help = await runBin('grid-build', ['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /^Usage: grid-build <source>/)
    assert.match(help.stdout, /from "edge-grid\/kit"/)
  })

  it('is a bin of the node-peer workspace, listed in the lockfile too (one npm install links it)', async () => {
    const pkg = JSON.parse(await readFile(join(repoRoot, 'node-peer', 'package.json'), 'utf8')) as { bin: Record<string, string> }
    const lock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { bin?: Record<string, string> }> }
    assert.equal(pkg.bin['grid-build'], 'bin/grid-build.js')
    assert.deepEqual(lock.packages['node-peer'].bin, pkg.bin)
  })
})
