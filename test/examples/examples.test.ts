/**
 * Every example, run through the real `grid-coordinator` process on embedded workers, checked against an
 * independent computation (test/helpers/expected.ts).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { runCoordinator, sinkLines } from '../helpers/cli.js'
import { copyExample } from '../helpers/example-copy.js'
import { collatzSteps, fibonacciUpTo, mandelbrotPixels, primesBelow, wordCounts } from '../helpers/expected.js'

async function runExample (name: string, extra: string[] = []): Promise<{ dir: string, stdout: string, report: any }> {
  const dir = await copyExample(name)
  const result = await runCoordinator([join(dir, 'flow.json'), '--local-only', '--workers', '2', '--report', join(dir, 'report.json'), ...extra])
  assert.equal(result.code, 0, `exit code; stderr:\n${result.stderr}`)
  const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))
  assert.equal(report.ok, true)
  assert.equal(report.jobs.failed, 0)
  return { dir, stdout: result.stdout, report }
}

describe('examples on embedded workers', () => {
  it('fibonacci-wat (hand-written WAT, feedback loop) prints the Fibonacci numbers up to the limit', async () => {
    const { stdout } = await runExample('fibonacci-wat')
    const got = sinkLines(stdout, 'numbers').map(Number)
    assert.deepEqual(got.sort((a, b) => a - b), fibonacciUpTo(1e15))
  })

  it('collatz (feedback loop + aggregate) gives every start its step count and the longest chain', async () => {
    const { dir, stdout, report } = await runExample('collatz')
    const lines = (await readFile(join(dir, 'out', 'lengths.jsonl'), 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [number, number])
    assert.equal(lines.length, 10_000)
    const byStart = new Map(lines)
    let best: [number, number] = [1, 0]
    for (let n = 1; n <= 10_000; n++) {
      const steps = collatzSteps(n)
      assert.equal(byStart.get(n), steps, `steps of ${n}`)
      if (steps > best[1]) best = [n, steps]
    }
    assert.deepEqual(sinkLines(stdout, 'result').map(l => JSON.parse(l)), [['longest', best]])
    const totalSteps = lines.reduce((n, [, s]) => n + s, 0)
    assert.ok(report.jobs.done >= 10_000 + totalSteps, 'one job per start and per step')
  })

  it('primes (CPU-bound + aggregate) counts the primes below 20,000,000', async () => {
    const { stdout, report } = await runExample('primes')
    assert.deepEqual(sinkLines(stdout, 'primes').map(l => JSON.parse(l)), [['primes below 20000000', primesBelow(20_000_000)]])
    assert.equal(report.stages.count.done, 64)
  })

  it('wordcount (map-reduce) counts every word of the input text', async () => {
    const { dir, stdout } = await runExample('wordcount')
    const expected = wordCounts(await readFile(join(dir, 'input.txt'), 'utf8'))
    const lines = (await readFile(join(dir, 'out', 'counts.jsonl'), 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [string, number])
    assert.deepEqual(new Map(lines), expected)
    const total = [...expected.values()].reduce((a, b) => a + b, 0)
    assert.deepEqual(sinkLines(stdout, 'words').map(l => JSON.parse(l)), [['words', total]])
  })

  it('mandelbrot writes the PNG whose every pixel matches the documented algorithm', async () => {
    const { dir, report } = await runExample('mandelbrot')
    const png = PNG.sync.read(await readFile(join(dir, 'out', 'mandelbrot.png')))
    assert.equal(png.width, 800)
    assert.equal(png.height, 600)
    const expected = mandelbrotPixels(800, 600)
    let mismatches = 0
    for (let p = 0; p < 800 * 600; p++) {
      for (let c = 0; c < 3; c++) if (png.data[p * 4 + c] !== expected[p * 3 + c]) mismatches++
    }
    assert.equal(mismatches, 0)
    assert.equal(report.stages.render.done, 600)
  })
})
