/**
 * examples/wordcount-js (split in JavaScript, run inside QuickJS) through the real `grid-coordinator` process:
 * on an embedded worker thread and on one spawned grid-worker process (the JS source travels by hash over
 * the code protocol, the jobs carry "js" on the wire), checked against the AssemblyScript wordcount and the
 * independent computation (test/helpers/expected.ts).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot, runCoordinator, sinkLines } from '../helpers/cli.js'
import { wordCounts } from '../helpers/expected.js'

async function copyExamples (names: readonly string[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'edge-grid-js-examples-'))
  for (const name of names) {
    await cp(join(repoRoot, 'examples', name), join(root, name), { recursive: true, filter: src => !src.startsWith(join(repoRoot, 'examples', name, 'out')) })
  }
  return root
}

async function run (flow: string, where: readonly string[]): Promise<{ stdout: string, report: any }> {
  const report = join(flow, '..', 'report.json')
  const result = await runCoordinator([flow, ...where, '--report', report], { timeoutMs: 120_000 })
  assert.equal(result.code, 0, `exit code; stderr:\n${result.stderr}`)
  return { stdout: result.stdout, report: JSON.parse(await readFile(report, 'utf8')) }
}

const counts = async (file: string): Promise<Map<string, number>> =>
  new Map((await readFile(file, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [string, number]))

describe('JavaScript examples through grid-coordinator', () => {
  it('wordcount-js (split in JavaScript) on one embedded worker gives the AssemblyScript wordcount\'s counts', async () => {
    const root = await copyExamples(['wordcount', 'wordcount-js'])
    const js = await run(join(root, 'wordcount-js', 'flow.json'), ['--local-only', '--workers', '1'])
    const as = await run(join(root, 'wordcount', 'flow.json'), ['--local-only', '--workers', '1'])
    assert.equal(js.report.jobs.failed, 0)
    const jsCounts = await counts(join(root, 'wordcount-js', 'out', 'counts.jsonl'))
    assert.deepEqual(jsCounts, await counts(join(root, 'wordcount', 'out', 'counts.jsonl')))
    assert.deepEqual(jsCounts, wordCounts(await readFile(join(root, 'wordcount', 'input.txt'), 'utf8')))
    assert.deepEqual(sinkLines(js.stdout, 'words'), sinkLines(as.stdout, 'words'))
    assert.deepEqual(sinkLines(js.stdout, 'words').map(l => JSON.parse(l)), [['words', 2367]])
  })

  it('wordcount-js on a spawned grid-worker process (the source shipped by hash, "js" on the wire) gives the same counts', async () => {
    const root = await copyExamples(['wordcount', 'wordcount-js'])
    const { stdout, report } = await run(join(root, 'wordcount-js', 'flow.json'), ['--workers', '0', '--spawn', '1'])
    assert.equal(report.jobs.failed, 0)
    assert.deepEqual(await counts(join(root, 'wordcount-js', 'out', 'counts.jsonl')), wordCounts(await readFile(join(root, 'wordcount', 'input.txt'), 'utf8')))
    assert.deepEqual(sinkLines(stdout, 'words').map(l => JSON.parse(l)), [['words', 2367]])
  })

  it('a JS function using Math.random and Date, verified by two replicas on two grid-worker processes: they agree on every item', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-js-verify-'))
    await writeFile(join(dir, 'chance.js'), 'export function chance (n) { return [[n, Math.random(), Date.now(), Math.random()]] }\n')
    await writeFile(join(dir, 'flow.json'), JSON.stringify({
      name: 'js-verify',
      functions: { chance: { js: 'chance.js' } },
      sources: { nums: { type: 'range', start: 0, end: 40 } },
      stages: { chance: { function: 'chance', input: 'nums', verify: { replicas: 2 } } },
      sinks: { out: { type: 'jsonl', input: 'chance', path: 'out.jsonl' } }
    }))
    const { report } = await run(join(dir, 'flow.json'), ['--workers', '0', '--spawn', '2'])
    assert.equal(report.jobs.failed, 0)
    assert.equal(report.verification.verified, 40)
    assert.equal(report.verification.disagreements, 0)
    const rows = (await readFile(join(dir, 'out.jsonl'), 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [number, number, number, number])
    assert.equal(rows.length, 40)
    assert.equal(new Set(rows.map(r => r[1])).size, 40, 'each item its own random numbers')
    assert.ok(rows.every(r => r[2] === Date.UTC(2000, 0, 1)), 'the fixed clock')
  })
})
