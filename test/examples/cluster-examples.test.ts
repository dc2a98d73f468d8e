/**
 * The distributed examples, each with the one command its README gives (`--spawn N`: real grid-worker
 * processes on 127.0.0.1), checked against the output their Hydroflow+ / clusterer originals describe.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCoordinator, sinkLines } from '../helpers/cli.js'
import { copyExample } from '../helpers/example-copy.js'

const TEN = Array.from({ length: 10 }, (_, i) => i)
const sorted = (lines: string[]): number[] => lines.map(Number).sort((a, b) => a - b)

/** examples/clusterer/assembly/pipeline.ts, written again in JavaScript: A, then B (square), then C (minus one). */
function clustererOutput (i: number): [number, number] {
  const xorshift = (x: number): number => {
    x = (x ^ (x << 13)) >>> 0
    x = (x ^ (x >>> 17)) >>> 0
    return (x ^ (x << 5)) >>> 0
  }
  const n = xorshift(Number(BigInt.asUintN(32, BigInt(i) * 2654435761n + 1n))) % 10 + 1
  return [i, n * n - 1]
}

describe('distributed examples (--spawn)', () => {
  it('first-ten-distributed: the second process receives 0..9, printed as [worker/0] n', async () => {
    const dir = await copyExample('first-ten-distributed')
    const result = await runCoordinator([join(dir, 'flow.json'), '--spawn', '1'], { timeoutMs: 60_000 })
    assert.equal(result.code, 0, result.stderr.slice(-3000))
    assert.deepEqual(sorted(sinkLines(result.stdout, 'worker/0')), TEN)
    assert.equal(result.stdout.trim().split('\n').length, 10, 'nothing else on stdout')
    assert.match(result.stderr, /cluster service: worker\/0 \(1\/1\)/)
  })

  it('broadcast: each of the two workers receives every number once', async () => {
    const dir = await copyExample('broadcast')
    const result = await runCoordinator([join(dir, 'flow.json'), '--spawn', '2', '--report', join(dir, 'report.json')], { timeoutMs: 60_000 })
    assert.equal(result.code, 0, result.stderr.slice(-3000))
    assert.deepEqual(sorted(sinkLines(result.stdout, 'worker/0')), TEN)
    assert.deepEqual(sorted(sinkLines(result.stdout, 'worker/1')), TEN)
    assert.equal(result.stdout.trim().split('\n').length, 20)
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))
    assert.deepEqual(report.perWorker, { 'worker/0': 10, 'worker/1': 10 })
  })

  for (const flow of ['flow.json', 'flow-single.json']) {
    it(`clusterer (${flow}): A → B → C → D gives n² − 1 for every tick`, async () => {
      const dir = await copyExample('clusterer')
      const result = await runCoordinator([join(dir, flow), '--spawn', '3', '--report', join(dir, 'report.json')], { timeoutMs: 120_000 })
      assert.equal(result.code, 0, result.stderr.slice(-3000))
      const got = sinkLines(result.stdout, 'D').map(l => JSON.parse(l) as [number, number]).sort((a, b) => a[0] - b[0])
      assert.deepEqual(got, Array.from({ length: 120 }, (_, i) => clustererOutput(i)))
      const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))
      assert.equal(report.stages.B.done, 120)
    })
  }
})
