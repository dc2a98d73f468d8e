/**
 * A failed run does not wipe the previous output (issue 11): the real `grid-coordinator` writes file sinks to
 * `<path>.partial` and renames it over `<path>` only when the run succeeds. A run whose job fails on every
 * attempt, one stopped with Ctrl-C and one killed with SIGKILL all leave the previous file byte for byte,
 * with the partial file beside it; `--resume` finishes the partial file and puts it in place.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { access, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import wabtInit from 'wabt'
import { runCoordinator, sinkLines } from '../../helpers/cli.js'
import { copyExample } from '../../helpers/example-copy.js'
import { collatzSteps } from '../../helpers/expected.js'
import { Proc } from '../../helpers/processes.js'

// Echoes small integers (positive fixint) and traps on 7: a job that fails on every attempt.
const WAT = `(module
  (import "env" "memory" (memory 1))
  (import "grid" "emit" (func $emit (param i32 i32 i32)))
  (global (export "grid_abi_1") i32 (i32.const 1))
  (func (export "grid_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "picky") (param $ptr i32) (param $len i32)
    (if (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 7)) (then unreachable))
    (call $emit (i32.const 0) (local.get $ptr) (local.get $len))))`

const pickyFlow = (values: number[]): object => ({
  name: 'picky',
  functions: { picky: { wasm: 'picky.wasm', export: 'picky' } },
  sources: { nums: { type: 'values', values } },
  stages: { check: { function: 'picky', input: 'nums' } },
  sinks: { out: { type: 'jsonl', input: 'check', path: 'out/x.jsonl' } }
})

const exists = async (path: string): Promise<boolean> => await access(path).then(() => true, () => false)

async function lineCount (path: string): Promise<number> {
  try {
    return (await readFile(path, 'utf8')).split('\n').length - 1
  } catch {
    return 0
  }
}

/** Polls (bounded: 600 × 50 ms) until `path` has `lines` lines or `proc` exits; the caller checks which. */
async function waitForLines (proc: Proc, path: string, lines: number): Promise<void> {
  let exited = false
  void proc.exited.then(() => { exited = true })
  for (let i = 0; i < 600 && !exited && await lineCount(path) < lines; i++) await new Promise(resolve => setTimeout(resolve, 50))
}

describe('a failed run keeps the previous output', () => {
  it('a job failing on every attempt leaves out/x.jsonl byte-identical and the partial file beside it; the next run starts over', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-failed-run-'))
    const wabt = await wabtInit()
    await writeFile(join(dir, 'picky.wasm'), wabt.parseWat('picky.wat', WAT).toBinary({}).buffer)
    const flowPath = join(dir, 'flow.json')
    const out = join(dir, 'out', 'x.jsonl')
    const partial = `${out}.partial`
    const args = [flowPath, '--local-only', '--workers', '1']

    await writeFile(flowPath, JSON.stringify(pickyFlow([1, 2, 3])))
    const good = await runCoordinator(args, { cwd: dir })
    assert.equal(good.code, 0, good.stderr)
    const before = await readFile(out)
    assert.deepEqual(before.toString().trim().split('\n').sort(), ['1', '2', '3'])
    assert.equal(await exists(partial), false, 'a successful run leaves no partial file')

    await writeFile(flowPath, JSON.stringify(pickyFlow([1, 2, 3, 7, 4])))
    const failed = await runCoordinator(args, { cwd: dir })
    assert.equal(failed.code, 1, failed.stderr)
    assert.match(failed.stderr, /stage "check", input 7/)
    assert.deepEqual(await readFile(out), before, 'the previous output is untouched')
    assert.equal(await exists(partial), true, 'the failed run\'s partial file is kept beside it')

    // no journal either way (a failed job removes it; --no-journal keeps none): the partial file stays
    const noJournal = await runCoordinator([...args, '--no-journal'], { cwd: dir })
    assert.equal(noJournal.code, 1, noJournal.stderr)
    assert.deepEqual(await readFile(out), before)
    assert.equal(await exists(partial), true)

    // a new run starts the stale partial file over and replaces the output
    await writeFile(flowPath, JSON.stringify(pickyFlow([4, 5, 6])))
    const next = await runCoordinator(args, { cwd: dir })
    assert.equal(next.code, 0, next.stderr)
    assert.deepEqual((await readFile(out, 'utf8')).trim().split('\n').sort(), ['4', '5', '6'])
    assert.equal(await exists(partial), false)
  })

  it('Ctrl-C and SIGKILL leave the previous output byte-identical; --resume finishes the partial file and replaces it', async () => {
    const dir = await copyExample('collatz')
    const flowPath = join(dir, 'flow.json')
    const out = join(dir, 'out', 'lengths.jsonl')
    const partial = `${out}.partial`
    const args = [flowPath, '--local-only', '--workers', '2']

    // the previous good output: the example as it is (10,000 starts)
    const good = await runCoordinator(args, { cwd: dir })
    assert.equal(good.code, 0, good.stderr)
    const before = await readFile(out)
    assert.equal(before.toString().split('\n').length - 1, 10_000)

    // a longer run (~3.3M jobs), stopped with Ctrl-C once it has written some output
    const starts = 30_000
    const flow = JSON.parse(await readFile(flowPath, 'utf8'))
    flow.sources.starts.end = starts + 1
    await writeFile(flowPath, JSON.stringify(flow, null, 2))
    const interrupted = new Proc('grid-coordinator', args, { cwd: dir })
    try {
      await waitForLines(interrupted, partial, 2000)
      interrupted.kill('SIGINT')
      const exit = await interrupted.exited
      assert.equal(exit.code, 130, `the run was interrupted (it did not end first): ${JSON.stringify(exit)}\n${interrupted.output.slice(-2000)}`)
    } finally {
      await interrupted.stop('SIGKILL')
    }
    assert.deepEqual(await readFile(out), before, 'Ctrl-C leaves the previous output untouched')
    const afterInterrupt = await lineCount(partial)
    assert.ok(afterInterrupt > 0 && afterInterrupt < starts, `${afterInterrupt} lines in the partial file`)

    // resumed, then killed with SIGKILL further on
    const killed = new Proc('grid-coordinator', [...args, '--resume'], { cwd: dir })
    try {
      await waitForLines(killed, partial, afterInterrupt + 2000)
      killed.kill('SIGKILL')
      assert.equal((await killed.exited).signal, 'SIGKILL', `the resumed run was killed (it did not end first):\n${killed.output.slice(-2000)}`)
    } finally {
      await killed.stop()
    }
    assert.deepEqual(await readFile(out), before, 'SIGKILL leaves the previous output untouched')
    assert.ok(await lineCount(partial) > afterInterrupt, 'the resumed run continued the partial file')

    // resumed again, to the end: the complete output replaces the previous one, no partial file is left
    const resumed = await runCoordinator([...args, '--resume'], { cwd: dir, timeoutMs: 180_000 })
    assert.equal(resumed.code, 0, resumed.stderr)
    assert.equal(await exists(partial), false, 'the partial file became the output')
    const lines = (await readFile(out, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [number, number])
    assert.equal(lines.length, starts, 'every start exactly once')
    const byStart = new Map(lines)
    assert.equal(byStart.size, starts)
    let best: [number, number] = [1, 0]
    for (let n = 1; n <= starts; n++) {
      const steps = collatzSteps(n)
      assert.equal(byStart.get(n), steps, `steps of ${n}`)
      if (steps > best[1]) best = [n, steps]
    }
    assert.deepEqual(sinkLines(resumed.stdout, 'result').map(l => JSON.parse(l)), [['longest', best]])
    assert.deepEqual((await readdir(join(dir, 'out'))).sort(), ['lengths.jsonl'])
  })
})
