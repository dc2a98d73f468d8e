/**
 * /metrics on a coordinator served with --http, scraped during a real run (two grid-worker processes) and
 * after it: the job counters grow while the run goes on and equal the run's summary at its end, per flow,
 * stage and outcome; job durations (timed by the workers), workers, bytes and process metrics are there.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { parseMetrics, until, withDashboardGrid } from '../../helpers/dashboard-grid.js'

const scrape = async (url: string): Promise<Map<string, number>> => {
  const res = await fetch(`${url}metrics`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  return parseMetrics(await res.text())
}

it('counts jobs per flow, stage and outcome as the run goes, equal to its summary at the end', async () => {
  await withDashboardGrid({ example: 'primes', spawn: 2 }, async ({ coordinator, url, run }) => {
    const done = coordinator.run(run)
    let ended = false
    void done.finally(() => { ended = true })
    // a scrape while the run goes on: some jobs counted, workers connected, job stream bytes moving
    const during = await until(async () => {
      const m = await scrape(url)
      const n = m.get('edge_grid_jobs_total{flow="primes",stage="count",outcome="done"}') ?? 0
      return n > 0 && !ended ? m : undefined
    }, 60_000, 'jobs counted while the run goes on')
    assert.equal(during.get('edge_grid_workers{kind="process"}'), 2)
    assert.equal(during.get('edge_grid_runs{phase="running"}'), 1)
    assert.ok((during.get('edge_grid_queue_depth{flow="primes",stage="count"}') ?? -1) >= 0)
    assert.ok((during.get('edge_grid_bytes_total{direction="out"}') ?? 0) > 0)

    const { summary } = await done
    assert.equal(summary.ok, true)
    const after = await scrape(url)
    for (const [stage, counts] of Object.entries(summary.stages)) {
      for (const outcome of ['done', 'failed', 'retried', 'replayed'] as const) {
        const key = `edge_grid_jobs_total{flow="primes",stage="${stage}",outcome="${outcome}"}`
        assert.equal(after.get(key), counts[outcome], key)
        assert.ok((during.get(key) ?? 0) <= counts[outcome], `${key} never goes back`)
      }
    }
    assert.equal(summary.stages.count.done, 64)
    assert.ok((after.get('edge_grid_bytes_total{direction="in"}') ?? 0) >= (during.get('edge_grid_bytes_total{direction="in"}') ?? 0))
    assert.equal(after.get('edge_grid_runs{phase="done"}'), 1)
    // an ended run waits in no queue
    assert.equal(after.get('edge_grid_queue_depth{flow="primes",stage="count"}'), undefined)
    assert.ok((after.get('process_cpu_seconds_total') ?? 0) > 0, 'process metrics are exposed')
    // job durations, as the workers report them with each batch of results: one per job that came back (a
    // chunk of the range is one job of many items), so at least one and at most one per item attempted
    const timed = after.get('edge_grid_job_duration_seconds_count') ?? 0
    const attempted = Object.values(summary.stages).reduce((n, c) => n + c.done + c.retried + c.failed, 0)
    assert.ok(timed > 0 && timed <= attempted, `${timed} jobs timed, ${attempted} items attempted`)
    assert.equal(after.get('edge_grid_job_duration_seconds_bucket{le="+Inf"}'), timed)
    assert.ok((after.get('edge_grid_job_duration_seconds_sum') ?? 0) > 0)
  })
})
