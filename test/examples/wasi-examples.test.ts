/**
 * The C and Rust examples (WASI commands and native-kit modules) through the real `grid-coordinator` process, checked
 * against the AssemblyScript examples they mirror and against an independent computation
 * (test/helpers/expected.ts). They borrow modules and inputs from their AssemblyScript siblings, so each test
 * copies both folders side by side.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot, runCoordinator, sinkLines } from '../helpers/cli.js'
import { checkExample } from '../helpers/example-checks.js'
import { collatzSteps, wordCounts } from '../helpers/expected.js'

async function copyExamples (names: readonly string[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'edge-grid-wasi-examples-'))
  for (const name of names) {
    await cp(join(repoRoot, 'examples', name), join(root, name), { recursive: true, filter: src => !src.startsWith(join(repoRoot, 'examples', name, 'out')) })
  }
  return root
}

async function run (flow: string, where: readonly string[] = ['--local-only', '--workers', '1']): Promise<{ stdout: string, report: any }> {
  const report = join(flow, '..', 'report.json')
  const result = await runCoordinator([flow, ...where, '--report', report], { timeoutMs: 120_000 })
  assert.equal(result.code, 0, `exit code; stderr:\n${result.stderr}`)
  return { stdout: result.stdout, report: JSON.parse(await readFile(report, 'utf8')) }
}

const jsonLines = async (file: string): Promise<unknown[]> => (await readFile(file, 'utf8')).trim().split('\n').map(l => JSON.parse(l))

describe('WASI examples through grid-coordinator', () => {
  it('wordcount-c (split in C) gives the AssemblyScript wordcount\'s counts, and the independent ones', async () => {
    const root = await copyExamples(['wordcount', 'wordcount-c'])
    const c = await run(join(root, 'wordcount-c', 'flow.json'))
    const as = await run(join(root, 'wordcount', 'flow.json'))
    assert.equal(c.report.jobs.failed, 0)
    const cCounts = new Map(await jsonLines(join(root, 'wordcount-c', 'out', 'counts.jsonl')) as Array<[string, number]>)
    const asCounts = new Map(await jsonLines(join(root, 'wordcount', 'out', 'counts.jsonl')) as Array<[string, number]>)
    assert.deepEqual(cCounts, asCounts)
    assert.deepEqual(cCounts, wordCounts(await readFile(join(root, 'wordcount', 'input.txt'), 'utf8')))
    assert.deepEqual(sinkLines(c.stdout, 'words'), sinkLines(as.stdout, 'words'))
    assert.deepEqual(sinkLines(c.stdout, 'words').map(l => JSON.parse(l)), [['words', 2367]])
  })

  it('wordcount-c on a spawned grid-worker process (jobs carry the io mode over the wire) gives the same counts', async () => {
    const root = await copyExamples(['wordcount', 'wordcount-c'])
    const { report } = await run(join(root, 'wordcount-c', 'flow.json'), ['--workers', '0', '--spawn', '1'])
    assert.equal(report.jobs.failed, 0)
    const counts = new Map(await jsonLines(join(root, 'wordcount-c', 'out', 'counts.jsonl')) as Array<[string, number]>)
    assert.deepEqual(counts, wordCounts(await readFile(join(root, 'wordcount', 'input.txt'), 'utf8')))
  })

  it('wordcount-c verified by two replicas on two grid-worker processes: WASI runs agree byte for byte', async () => {
    const root = await copyExamples(['wordcount', 'wordcount-c'])
    const flowFile = join(root, 'wordcount-c', 'flow.json')
    const flow = JSON.parse(await readFile(flowFile, 'utf8'))
    flow.stages.split.verify = { replicas: 2 }
    await writeFile(flowFile, JSON.stringify(flow))
    const { report } = await run(flowFile, ['--workers', '0', '--spawn', '2'])
    assert.equal(report.jobs.failed, 0)
    assert.equal(report.verification.verified, 207)
    assert.equal(report.verification.disagreements, 0)
    const counts = new Map(await jsonLines(join(root, 'wordcount-c', 'out', 'counts.jsonl')) as Array<[string, number]>)
    assert.deepEqual(counts, wordCounts(await readFile(join(root, 'wordcount', 'input.txt'), 'utf8')))
  })

  it('collatz-rust (a Rust WASI command on two ports) gives the independently computed lengths and longest', async () => {
    const root = await copyExamples(['collatz', 'collatz-rust'])
    const { stdout, report } = await run(join(root, 'collatz-rust', 'flow.json'))
    assert.equal(report.jobs.failed, 0)
    const lengths = new Map(await jsonLines(join(root, 'collatz-rust', 'out', 'lengths.jsonl')) as Array<[number, number]>)
    assert.equal(lengths.size, 1000)
    let best: [number, number] = [1, 0]
    for (let n = 1; n <= 1000; n++) {
      assert.equal(lengths.get(n), collatzSteps(n), `steps of ${n}`)
      if (collatzSteps(n) > best[1]) best = [n, collatzSteps(n)]
    }
    assert.deepEqual(sinkLines(stdout, 'result').map(l => JSON.parse(l)), [['longest', best]])
  })
})

describe('native-kit examples through grid-coordinator', () => {
  it('mandelbrot-c (C, core/abi/c/grid.h) renders every pixel as the independent computation', async () => {
    const root = await copyExamples(['mandelbrot-c'])
    const { stdout, report } = await run(join(root, 'mandelbrot-c', 'flow.json'), ['--local-only', '--workers', '2'])
    await checkExample('mandelbrot', join(root, 'mandelbrot-c'), stdout, report)
  })

  it('collatz-rust/flow-native.json (Rust, core/abi/rust/grid.rs) gives every chain and the longest', async () => {
    const root = await copyExamples(['collatz-rust'])
    const { stdout, report } = await run(join(root, 'collatz-rust', 'flow-native.json'), ['--local-only', '--workers', '2'])
    await checkExample('collatz', join(root, 'collatz-rust'), stdout, report)
  })
})
