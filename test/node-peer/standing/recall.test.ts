/**
 * A cancelled run's jobs leave the workers (job protocol `recall`): a real `grid-coordinator serve` and a real
 * `grid-worker` process; a run of slow jobs (seconds each, in QuickJS) is cancelled by its client's Ctrl-C.
 * The worker drops what it queued and stops the job it runs: its done count stops growing at once (a job
 * left to run would finish within the window watched), and it runs the next run's jobs right away.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseMetrics } from '../../helpers/dashboard-grid.js'
import { Proc } from '../../helpers/processes.js'
import { clientHome, runClient, startClient, startServe, stopAll } from '../../helpers/standing-grid.js'
import type { Serve } from '../../helpers/standing-grid.js'

/** Spins `n` rounds: a job whose cost its input sets (10M rounds ≈ 0.6 s in QuickJS here). */
const SPIN_JS = `export function spin (line) {
  const n = Number(line)
  let x = 0
  for (let i = 0; i < n; i++) x = (x + i) | 0
  return [[n, x]]
}
`
const spin = (n: number): number => { let x = 0; for (let i = 0; i < n; i++) x = (x + i) | 0; return x }

/** A flow folder whose jobs spin the given rounds each. */
async function spinFlow (rounds: readonly number[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-recall-'))
  await writeFile(join(dir, 'spin.js'), SPIN_JS)
  await writeFile(join(dir, 'input.txt'), rounds.join('\n') + '\n')
  await writeFile(join(dir, 'flow.json'), JSON.stringify({
    name: 'spin',
    functions: { spin: { js: 'spin.js' } },
    sources: { rounds: { type: 'lines', path: 'input.txt' } },
    stages: { spin: { function: 'spin', input: 'rounds', timeoutMs: 600_000 } },
    sinks: { out: { type: 'jsonl', input: 'spin', path: 'out/spin.jsonl' } }
  }))
  await mkdir(join(dir, 'out'))
  return dir
}

async function scrape (url: string): Promise<{ done: number, recalled: number }> {
  const m = parseMetrics(await (await fetch(url)).text())
  return { done: m.get('edge_grid_worker_jobs_total{outcome="done"}') ?? -1, recalled: m.get('edge_grid_worker_jobs_total{outcome="recalled"}') ?? -1 }
}

it('a cancelled run\'s jobs stop on the worker at once, and the worker runs the next run', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-serve-'))
  let serve: Serve | undefined
  let worker: Proc | undefined
  let client: Proc | undefined
  try {
    serve = await startServe(['--workers', '0'], dir)
    worker = new Proc('grid-worker', ['--bootstrap', serve.addr, '--threads', '1', '--name', 'r', '--metrics', '127.0.0.1:0', '--cache', join(dir, 'cache')])
    const [, url] = await worker.waitFor(/metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/)
    await serve.proc.waitFor(/\+ worker\/r joined/)
    // about 2.5 s a job, 200 jobs: hours of work for one thread
    const slow = await spinFlow(Array.from({ length: 200 }, () => 40_000_000))
    const home = await clientHome()
    client = startClient(['flow.json', '--grid', serve.addr], slow, home)
    await client.waitFor(/run \S+: flow "spin" on the grid/)
    // a job finished: the worker is well into the run, holding more
    const deadline = Date.now() + 60_000
    while ((await scrape(url)).done < 1 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 200))
    assert.ok((await scrape(url)).done >= 1, `no job done in 60 s:\n${worker.output.slice(-2000)}`)
    client.kill('SIGINT')
    assert.equal((await client.exited).code, 130, client.output.slice(-2000))
    await worker.waitFor(/\d+ jobs? recalled by the coordinator \(their run ended\): dropped/)
    const after = await scrape(url)
    assert.ok(after.recalled >= 1, `recalled ${after.recalled}`)
    // longer than one job: a job left running, or one still queued, would be done within this window
    await new Promise(resolve => setTimeout(resolve, 5000))
    const later = await scrape(url)
    assert.equal(later.done, after.done, 'no job of the cancelled run was done after the recall')
    assert.equal(later.recalled, after.recalled)
    // the next run goes on the same worker at once
    const rounds = Array.from({ length: 20 }, (_, i) => 1000 * (i + 1))
    const next = await spinFlow(rounds)
    const result = await runClient(['flow.json', '--grid', serve.addr, '--report', 'report.json'], next, home)
    assert.equal(result.code, 0, result.stderr.slice(-2000))
    const lines = (await readFile(join(next, 'out', 'spin.jsonl'), 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [number, number])
    assert.deepEqual(lines.sort((a, b) => a[0] - b[0]), rounds.map(n => [n, spin(n)]))
    const report = JSON.parse(await readFile(join(next, 'report.json'), 'utf8')) as { perWorker: Record<string, number> }
    assert.equal(report.perWorker['worker/r'], rounds.length)
    assert.equal((await scrape(url)).done, after.done + rounds.length)
  } finally {
    await stopAll([client, worker, serve?.proc])
  }
})
