/**
 * examples/build-native.ts: C and Rust examples are built when the compilers work, and skipped with the reason
 * and the packages to install when they do not, without failing the build (so `npm install` succeeds).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildNative } from '../../examples/build-native.js'

async function exampleTree (): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'grid-native-build-'))
  await mkdir(join(root, 'examples', 'demo', 'wasi'), { recursive: true })
  await writeFile(join(root, 'examples', 'demo', 'wasi', 'twice.c'), '#include <stdio.h>\nint main(void) { long n; if (scanf("%ld", &n) != 1) return 1; printf("%ld\\n", 2 * n); return 0; }\n')
  await writeFile(join(root, 'examples', 'demo', 'wasi', 'hello.rs'), 'fn main() { println!("\\"hello\\""); }\n')
  return root
}

describe('building C and Rust examples', () => {
  it('builds both with the installed toolchains, then finds them up to date', async () => {
    const root = await exampleTree()
    const first = await buildNative({ root })
    assert.deepEqual([...first.built].sort(), ['examples/demo/build/hello.wasm', 'examples/demo/build/twice.wasm'])
    assert.deepEqual(first.skipped, [])
    const second = await buildNative({ root })
    assert.deepEqual(second.built, [])
    assert.equal(second.upToDate.length, 2)
  })

  it('without compilers, skips both with the reason and the packages, and does not fail', async () => {
    const root = await exampleTree()
    const script = `import { buildNative } from ${JSON.stringify(new URL('../../examples/build-native.js', import.meta.url).href)}
      console.log(JSON.stringify(await buildNative({ root: ${JSON.stringify(root)} })))`
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, GRID_CLANG: '/nonexistent/clang', GRID_RUSTC: '/nonexistent/rustc' }
    })
    assert.equal(result.status, 0, result.stderr)
    const report = JSON.parse(result.stdout)
    assert.deepEqual(report.built, [])
    const reasons = Object.fromEntries(report.skipped.map((s: { output: string, reason: string }) => [s.output, s.reason]))
    assert.match(reasons['examples/demo/build/twice.wasm'], /no working C toolchain.*\/nonexistent\/clang not found.*apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32/)
    assert.match(reasons['examples/demo/build/hello.wasm'], /no working Rust toolchain.*apt-get install rustc libstd-rust-dev-wasm32/)
  })
})
