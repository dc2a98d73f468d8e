/**
 * W9 at a small crowd: 40 agents (real libp2p nodes, the real job protocol, packed into one crowd process)
 * join one coordinator from 127.0.0.1 through its per-host admission budget, then one more starts a flow
 * over all of them. Checks the JSON: every agent joined, every worker ran jobs, the figures are there and
 * consistent. Never speed: the join-time target is reported, not asserted.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBench } from '../helpers/bench.js'
import type { BenchDocument } from '../helpers/bench.js'

const CROWD = 40

test(`W9: a crowd of ${CROWD} agents all join and every worker runs jobs of the flow`, { timeout: 360_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-w9-'))
  try {
    const json = join(dir, 'bench.json')
    const result = await runBench(['--only', 'W9', '--workers', String(CROWD), '--runs', '1', '--json', json], 350_000)
    assert.equal(result.code, 0, `bench exited ${result.code}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`)
    const doc = JSON.parse(await readFile(json, 'utf8')) as BenchDocument
    assert.deepEqual(doc.errors, [])
    const w9 = doc.workloads.W9
    assert.ok(w9 != null, 'W9 in the document')
    assert.equal(w9.params.workers, CROWD)
    const f = w9.figures
    // the crowd plus the starter agent ran the flow, and each of them ran jobs
    assert.equal(f.workersWithJobs.median, CROWD + 1, 'every worker ran jobs')
    assert.ok(f.jobsPerWorkerMin.median >= 1)
    assert.ok(f.jobsPerWorkerMin.median <= f.jobsPerWorkerMedian.median && f.jobsPerWorkerMedian.median <= f.jobsPerWorkerMax.median)
    assert.ok(f.joinP50.median > 0 && f.joinP50.median <= f.joinP99.median && f.joinP99.median <= f.joinAll.median, 'p50 ≤ p99 ≤ all')
    for (const name of ['rssBefore', 'rssJoined', 'rssIdle', 'joinCpuPerWorker', 'idleCpuPerWorker', 'hostsStarted']) {
      assert.ok(Number.isFinite(f[name].median) && f[name].median >= 0, `${name} is a figure (${f[name]?.median})`)
    }
    const everyWorker = w9.targets.find(t => t.name === 'every worker ran jobs')
    assert.equal(everyWorker?.met, true)
    assert.ok(w9.targets.some(t => t.name.includes('joined within 30 s')), 'the join-time target is reported')
    assert.match(result.stdout, /\| W9 crowd .*joinAll/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
