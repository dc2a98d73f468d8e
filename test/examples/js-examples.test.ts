/**
 * examples/wordcount-js (split in JavaScript, run inside QuickJS) through the real `grid-coordinator` process:
 * on an embedded worker thread and on one spawned grid-worker process (the JS source travels by hash over
 * the code protocol, the jobs carry "js" on the wire), checked against the AssemblyScript wordcount and the
 * independent computation (test/helpers/expected.ts).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { cp, mkdtemp, readFile } from 'node:fs/promises'
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
})
