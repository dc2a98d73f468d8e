/**
 * `grid-coordinator --resume` as a user meets it: a run killed with SIGKILL mid-flow is continued from its
 * journal to exactly the output of one whole run (the JSONL sink gets every item once, journaled jobs are not
 * run again); a leftover journal is never silently ignored or reused for a changed flow or input.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { access, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeValue } from '../../../core/codec.js'
import { loadFlow } from '../../../core/flow/validate.js'
import { flowFingerprint } from '../../../node-peer/flow-fingerprint.js'
import { nodeFlowFiles, readFlowFile } from '../../../node-peer/flow-files.js'
import { defaultJournalPath, setUpJournal } from '../../../node-peer/run-journal.js'
import { runCoordinator, sinkLines } from '../../helpers/cli.js'
import { copyExample } from '../../helpers/example-copy.js'
import { collatzSteps } from '../../helpers/expected.js'
import { Proc } from '../../helpers/processes.js'

const STARTS = 30_000

async function lineCount (path: string): Promise<number> {
  try {
    return (await readFile(path, 'utf8')).split('\n').length - 1
  } catch {
    return 0
  }
}

/** Journals under dir's .edge-grid/journals; `all`: every file there, locks included. */
async function journals (dir: string, all = false): Promise<string[]> {
  try {
    return (await readdir(join(dir, '.edge-grid', 'journals'))).filter(name => all || name.endsWith('.journal'))
  } catch {
    return []
  }
}

describe('grid-coordinator --resume', () => {
  it('continues a run killed with SIGKILL: every item once, journaled jobs not run again, journal removed at the end', async () => {
    const dir = await copyExample('collatz')
    const flowPath = join(dir, 'flow.json')
    const flow = JSON.parse(await readFile(flowPath, 'utf8'))
    flow.sources.starts.end = STARTS + 1 // ~3.3M jobs: long enough to be killed mid-way
    await writeFile(flowPath, JSON.stringify(flow, null, 2))
    const out = join(dir, 'out', 'lengths.jsonl')
    const partial = `${out}.partial`
    const args = [flowPath, '--local-only', '--workers', '2', '--report', join(dir, 'report.json')]

    const first = new Proc('grid-coordinator', args, { cwd: dir })
    try {
      for (let i = 0; i < 600 && await lineCount(partial) < 3000; i++) await new Promise(resolve => setTimeout(resolve, 50))
      first.kill('SIGKILL')
      assert.equal((await first.exited).signal, 'SIGKILL', `the first run ended by itself before the kill:\n${first.output.slice(-2000)}`)
    } finally {
      await first.stop()
    }
    const writtenBefore = await lineCount(partial)
    assert.ok(writtenBefore > 0 && writtenBefore < STARTS, `${writtenBefore} lines before the kill`)
    await assert.rejects(access(out), 'the target appears only when a run succeeds')
    assert.equal((await journals(dir)).length, 1)

    // without --resume, the leftover journal is neither ignored nor silently continued
    const refused = await runCoordinator(args, { cwd: dir })
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /interrupted run of flow "collatz".*--resume.*--fresh/s)
    assert.equal(await lineCount(partial), writtenBefore, 'a refused run does not touch the sink')

    const resumed = await runCoordinator([...args, '--resume'], { cwd: dir, timeoutMs: 180_000 })
    assert.equal(resumed.code, 0, resumed.stderr)
    assert.match(resumed.stdout + resumed.stderr, /resuming the run started .*: \d+ finished jobs and \d+ written sink items/)

    const lines = (await readFile(out, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [number, number])
    assert.equal(lines.length, STARTS, 'every start exactly once')
    const byStart = new Map(lines)
    assert.equal(byStart.size, STARTS)
    let best: [number, number] = [1, 0]
    for (let n = 1; n <= STARTS; n++) {
      const steps = collatzSteps(n)
      assert.equal(byStart.get(n), steps, `steps of ${n}`)
      if (steps > best[1]) best = [n, steps]
    }
    assert.deepEqual(sinkLines(resumed.stdout, 'result').map(l => JSON.parse(l)), [['longest', best]])
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'))
    assert.ok(report.resumed.jobsReplayed > 0, 'jobs were taken from the journal')
    // the file was cut back to its last journaled write: those lines were kept and skipped, the rest rewritten
    assert.ok(report.resumed.sinkItemsSkipped > 0 && report.resumed.sinkItemsSkipped <= writtenBefore, `${report.resumed.sinkItemsSkipped} skipped of ${writtenBefore}`)
    assert.ok(report.stages.iterate.replayed > 0 && report.stages.keyed.replayed > 0)
    assert.equal(report.stages.iterate.replayed + report.stages.keyed.replayed, report.resumed.jobsReplayed)
    assert.deepEqual(await journals(dir, true), [], 'a run that ends by itself removes its journal (and its lock)')
    await assert.rejects(access(partial), 'the partial file became the output')
  })

  it('Ctrl-C (SIGINT) mid-run keeps the journal and says how to continue', async () => {
    const dir = await copyExample('collatz')
    const flowPath = join(dir, 'flow.json')
    const flow = JSON.parse(await readFile(flowPath, 'utf8'))
    flow.sources.starts.end = STARTS + 1
    await writeFile(flowPath, JSON.stringify(flow, null, 2))
    const partial = join(dir, 'out', 'lengths.jsonl.partial')
    const run = new Proc('grid-coordinator', [flowPath, '--local-only', '--workers', '2'], { cwd: dir })
    try {
      for (let i = 0; i < 600 && await lineCount(partial) < 1000; i++) await new Promise(resolve => setTimeout(resolve, 50))
      run.kill('SIGINT')
      const exit = await run.exited
      assert.equal(exit.code, 130, `exit ${JSON.stringify(exit)}:\n${run.output.slice(-2000)}`)
    } finally {
      await run.stop('SIGKILL')
    }
    assert.match(run.output, /interrupted: run the same command with --resume to continue/)
    assert.equal((await journals(dir)).length, 1)
  })

  it('a sink that cannot write (disk full) fails the run but keeps the journal; --resume finishes it once fixed', async () => {
    const dir = await copyExample('collatz')
    const flowPath = join(dir, 'flow.json')
    const out = join(dir, 'out', 'lengths.jsonl')
    await mkdir(join(dir, 'out'), { recursive: true })
    await symlink('/dev/full', `${out}.partial`) // every write fails with ENOSPC
    const args = [flowPath, '--local-only', '--workers', '2']
    const full = await runCoordinator(args, { cwd: dir })
    assert.equal(full.code, 1, full.stderr)
    assert.match(full.stderr, /sink "lengths".*ENOSPC.*\nthe journal is kept: fix the sink, then run the same command with --resume/s)
    assert.equal((await journals(dir)).length, 1)

    await assert.rejects(access(out), 'a failed run does not create the output')
    await rm(`${out}.partial`)
    const resumed = await runCoordinator([...args, '--resume'], { cwd: dir })
    assert.equal(resumed.code, 0, resumed.stderr)
    const lines = (await readFile(out, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [number, number])
    assert.equal(lines.length, 10_000)
    for (const [n, steps] of lines.filter((_, i) => i % 97 === 0)) assert.equal(steps, collatzSteps(n))
    assert.equal(new Set(lines.map(([n]) => n)).size, 10_000)
    assert.deepEqual(await journals(dir), [])
  })

  it('one coordinator per journal: a second one on the same flow is refused; a lock left by a killed one is taken over', async () => {
    const dir = await copyExample('wordcount')
    const flowPath = join(dir, 'flow.json')
    const first = new Proc('grid-coordinator', [flowPath, '--workers', '1', '--listen', '/ip4/127.0.0.1/tcp/0', '--wait-workers', '1', '--identity', join(dir, 'c.key')], { cwd: dir })
    try {
      await first.waitFor(/waiting for 1 volunteer/)
      const second = await runCoordinator([flowPath, '--local-only', '--workers', '1'], { cwd: dir })
      assert.equal(second.code, 2)
      assert.match(second.stderr, new RegExp(`another coordinator \\(pid ${first.pid!}\\) is running this flow with the journal .*stop it first`))
      first.kill('SIGKILL')
      await first.exited
    } finally {
      await first.stop('SIGKILL')
    }
    const after = await runCoordinator([flowPath, '--local-only', '--workers', '1'], { cwd: dir })
    assert.equal(after.code, 0, after.stderr)
    assert.deepEqual(await journals(dir, true), [], 'no journal and no lock left')
  })

  it('refuses to resume a changed flow file or a changed input file, names what changed; --fresh starts over', async () => {
    const dir = await copyExample('wordcount')
    const flowPath = join(dir, 'flow.json')
    // the journal an interrupted run leaves: written by the coordinator's own code for this flow, one job done
    const { file, text } = await readFlowFile(flowPath)
    const { spec, modules } = await loadFlow(file, text, nodeFlowFiles)
    const fingerprint = await flowFingerprint(text, spec, new Map([...modules].map(([name, m]) => [name, m.hash])))
    const path = join(dir, defaultJournalPath(file, spec.name))
    const { journal } = await setUpJournal(path, spec.name, fingerprint, { resume: false, fresh: false })
    journal.jobsDone([{ stage: 'split', input: encodeValue('a line'), outputs: [] }])
    journal.close()
    assert.equal((await journals(dir)).length, 1)
    const args = [flowPath, '--local-only', '--workers', '1']

    const input = join(dir, 'input.txt')
    const original = await readFile(input, 'utf8')
    await writeFile(input, `${original}one more line\n`)
    const changedInput = await runCoordinator([...args, '--resume'], { cwd: dir })
    assert.equal(changedInput.code, 2)
    assert.match(changedInput.stderr, /cannot resume from .*: the input file of source "lines" changed since the run started .*--fresh/)
    await writeFile(input, original)

    const flowText = await readFile(flowPath, 'utf8')
    await writeFile(flowPath, flowText.replace('"wordcount"', '"wordcount2"'))
    const changedFlow = await runCoordinator([...args, '--resume', '--journal', join(dir, '.edge-grid', 'journals', (await journals(dir))[0])], { cwd: dir })
    assert.equal(changedFlow.code, 2)
    assert.match(changedFlow.stderr, /the flow file changed since the run started/)
    await writeFile(flowPath, flowText)

    const nothing = await runCoordinator([...args, '--resume', '--journal', join(dir, 'elsewhere.journal')], { cwd: dir })
    assert.equal(nothing.code, 2)
    assert.match(nothing.stderr, /--resume: there is no journal at .*elsewhere\.journal/)

    const fresh = await runCoordinator([...args, '--fresh'], { cwd: dir })
    assert.equal(fresh.code, 0, fresh.stderr)
    assert.match(fresh.stdout + fresh.stderr, /started over: the interrupted run's journal was discarded/)
    await access(join(dir, 'out', 'counts.jsonl'))
    assert.deepEqual(await journals(dir), [])
  })
})
