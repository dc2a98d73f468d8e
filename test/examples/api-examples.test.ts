/**
 * examples/api, run as a user runs them (`node examples/api/x.mjs` after the build, importing `edge-grid`
 * by its package name), their output checked against independent computations.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { collatzSteps, primesBelow } from '../helpers/expected.js'
import { repoRoot } from '../helpers/cli.js'

const run = promisify(execFile)

async function example (name: string): Promise<string> {
  const { stdout } = await run(process.execPath, [`examples/api/${name}`], { cwd: repoRoot, timeout: 120_000 })
  return stdout
}

it('map-array.mjs prints the primes of each chunk in input order and their sum', async () => {
  const out = await example('map-array.mjs')
  const expected = Array.from({ length: 8 }, (_, i) => {
    const start = i * 312_500
    return `primes in [${start}, ${start + 312_500}): ${primesBelow(start + 312_500) - primesBelow(start)}`
  })
  assert.deepEqual(out.trim().split('\n'), [...expected, `primes below 2500000: ${primesBelow(2_500_000)}`])
})

it('stream-and-stop.mjs stops at the first long trajectory and cancels the rest', async () => {
  const out = await example('stream-and-stop.mjs')
  const match = /first start found with more than 100 steps: (\d+) \((\d+) steps\), after (\d+) others/.exec(out)
  assert.ok(match != null, out)
  assert.equal(Number(match[2]), collatzSteps(Number(match[1])))
  assert.ok(Number(match[2]) > 100)
  assert.ok(Number(match[3]) < 10_000)
  assert.match(out, /cancelled the rest of the run/)
  assert.doesNotMatch(out, /\[result\]/) // the stdout sink was never written: the run did not finish
})

it('async-source.mjs reduces a sink fed by an async generator', async () => {
  let best = [0, -1]
  for (let n = 1; n <= 1000; n++) {
    const steps = collatzSteps(n)
    if (steps > best[1]) best = [n, steps]
  }
  const out = await example('async-source.mjs')
  assert.match(out, new RegExp(`longest trajectory below 1001: ${best[0]} \\(${best[1]} steps\\); \\d+ jobs`))
})
