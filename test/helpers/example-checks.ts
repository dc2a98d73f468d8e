/** Checks one example's outputs (in its run folder) against an independent computation. */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { sinkLines } from './cli.js'
import { chainSelected, collatzSteps, fibonacciUpTo, mandelbrotPixels, primesBelow, wordCounts } from './expected.js'

export const EXAMPLES = ['fibonacci-wat', 'collatz', 'primes', 'wordcount', 'mandelbrot', 'chain'] as const
export type ExampleName = typeof EXAMPLES[number]

export async function checkExample (name: ExampleName, dir: string, stdout: string, report: any): Promise<void> {
  switch (name) {
    case 'fibonacci-wat': {
      const got = sinkLines(stdout, 'numbers').map(Number)
      assert.deepEqual(got.sort((a, b) => a - b), fibonacciUpTo(1e15))
      return
    }
    case 'collatz': {
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
      return
    }
    case 'primes':
      assert.deepEqual(sinkLines(stdout, 'primes').map(l => JSON.parse(l)), [['primes below 20000000', primesBelow(20_000_000)]])
      assert.equal(report.stages.count.done, 64)
      return
    case 'wordcount': {
      const expected = wordCounts(await readFile(join(dir, 'input.txt'), 'utf8'))
      const lines = (await readFile(join(dir, 'out', 'counts.jsonl'), 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [string, number])
      assert.deepEqual(new Map(lines), expected)
      const total = [...expected.values()].reduce((a, b) => a + b, 0)
      assert.deepEqual(sinkLines(stdout, 'words').map(l => JSON.parse(l)), [['words', total]])
      return
    }
    case 'mandelbrot': {
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
      return
    }
    case 'chain': {
      const lines = (await readFile(join(dir, 'out', 'selected.jsonl'), 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [number, number])
      assert.deepEqual(lines.sort((a, b) => a[0] - b[0]), chainSelected(200_001))
      assert.deepEqual(report.chains, [['square', 'digitsum', 'select']])
      assert.deepEqual([report.stages.square.done, report.stages.digitsum.done, report.stages.select.done, report.stages.select.emitted], [200_000, 200_000, 200_000, lines.length])
    }
  }
}

/** Collatz with its range source's end changed (example-copy.ts `copyCollatz`): every start 1 … end-1 exact, none twice. */
export async function checkCollatzUpTo (dir: string, stdout: string, end: number): Promise<void> {
  const lines = (await readFile(join(dir, 'out', 'lengths.jsonl'), 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [number, number])
  assert.equal(lines.length, end - 1, 'one line per start, none twice')
  const byStart = new Map(lines)
  let best: [number, number] = [1, 0]
  for (let n = 1; n < end; n++) {
    const steps = collatzSteps(n)
    assert.equal(byStart.get(n), steps, `steps of ${n}`)
    if (steps > best[1]) best = [n, steps]
  }
  assert.deepEqual(sinkLines(stdout, 'result').map(l => JSON.parse(l)), [['longest', best]])
}
