/**
 * The same computation in every language a function can be written in: the bench's W11 at quick size runs
 * `burn` compiled from AssemblyScript, C (native kit and WASI), Rust (native kit), JavaScript (QuickJS) and
 * the hand-written WAT through one executor, and checks every output against the independent computation
 * (bench/lib/fixtures.ts `expected.burn`); a mismatch makes the run fail. Asserts outputs, never speed.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBench } from '../helpers/bench.js'
import type { BenchDocument } from '../helpers/bench.js'

test('W11: burn in AssemblyScript, C native, C WASI, Rust, JavaScript and WAT gives the independently computed outputs', { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-w11-'))
  try {
    const json = join(dir, 'bench.json')
    const result = await runBench(['--quick', '--only', 'W11', '--runs', '1', '--json', json], 290_000)
    assert.equal(result.code, 0, `bench exited ${result.code}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`)
    const doc = JSON.parse(await readFile(json, 'utf8')) as BenchDocument
    assert.deepEqual(doc.errors, [])
    const w11 = doc.workloads.W11
    assert.ok(w11 != null, 'W11 in the document')
    const names = Object.keys(w11.figures).join(' ')
    for (const language of ['wat', 'assemblyscript', 'cNative', 'cWasi', 'rustNative', 'javascript']) {
      assert.match(names, new RegExp(language), `W11 measured ${language} (figures: ${names})`)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
