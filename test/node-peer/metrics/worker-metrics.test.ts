/**
 * `grid-worker --metrics PORT`: a real worker process serves its own Prometheus metrics; after a flow run on
 * it alone, its job counter and duration histogram count exactly the jobs the coordinator's report gives it.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runBin } from '../../helpers/cli.js'
import { parseMetrics } from '../../helpers/dashboard-grid.js'
import { copyExample } from '../../helpers/example-copy.js'
import { Proc } from '../../helpers/processes.js'

it('counts the jobs it ran, their durations and its job stream bytes, as the report says', async () => {
  const run = await copyExample('mandelbrot')
  const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-journal', '--wait-workers', '1', '--report', join(run, 'report.json')])
  let worker: Proc | undefined
  try {
    const [, bootstrap] = await coordinator.waitFor(/listening on (\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+)/)
    worker = new Proc('grid-worker', ['--bootstrap', bootstrap, '--threads', '1', '--name', 'm', '--metrics', '0', '--cache', join(run, 'cache'), '--quiet'])
    const [, url] = await worker.waitFor(/metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/)
    const { code } = await coordinator.exited
    assert.equal(code, 0, coordinator.output.slice(-2000))
    const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8')) as { perWorker: Record<string, number> }
    const jobs = report.perWorker['worker/m']
    assert.ok(jobs > 0)
    const res = await fetch(url)
    assert.equal(res.status, 200)
    const m = parseMetrics(await res.text())
    assert.equal(m.get('edge_grid_worker_jobs_total{outcome="done"}'), jobs)
    assert.equal(m.get('edge_grid_worker_jobs_total{outcome="failed"}'), 0)
    assert.equal(m.get('edge_grid_job_duration_seconds_count'), jobs)
    assert.ok((m.get('edge_grid_bytes_total{direction="in"}') ?? 0) > 0)
    assert.ok((m.get('edge_grid_bytes_total{direction="out"}') ?? 0) > 0)
    assert.equal(m.get('edge_grid_worker_threads'), 1)
    assert.ok((m.get('edge_grid_worker_busy_seconds_total') ?? 0) > 0)
    assert.ok(m.has('process_resident_memory_bytes'))
    assert.equal((await fetch(url.replace('/metrics', '/other'))).status, 404)
  } finally {
    coordinator.kill()
    worker?.kill()
    await coordinator.exited
    await worker?.exited
  }
})

it('refuses a --metrics value that is not [HOST:]PORT', async () => {
  const result = await runBin('grid-worker', ['--bootstrap', '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWDBUNsJpvQ7TaZfSUVkQRRTZQwykmTBaaW6aZNhgdjNU7', '--metrics', 'http://x'])
  assert.equal(result.code, 2)
  assert.match(result.stderr, /--metrics "http:\/\/x": expected PORT or HOST:PORT/)
})
