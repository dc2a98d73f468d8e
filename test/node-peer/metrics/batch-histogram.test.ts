/**
 * The duration histogram takes a batch in O(1) (batch-histogram.ts): a batch of N jobs counts N, and what it
 * renders is what prom-client's own Histogram renders when fed one observation per job.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { Histogram, Registry } from 'prom-client'
import { BatchHistogram } from '../../../node-peer/metrics/batch-histogram.js'
import { DURATION_BUCKETS, JobDurations } from '../../../node-peer/metrics/job-durations.js'
import { parseMetrics } from '../../helpers/dashboard-grid.js'

const NAME = 'edge_grid_job_duration_seconds'

it('a batch of N jobs counts N, in the bucket of its per-job time', async () => {
  const registry = new Registry()
  const durations = new JobDurations(registry, 'help')
  durations.batchDone(1000, 500) // 0.5 ms a job
  durations.batchDone(0, 10) // no jobs: nothing
  const m = parseMetrics(await registry.metrics())
  assert.equal(m.get(`${NAME}_count`), 1000)
  assert.equal(m.get(`${NAME}_bucket{le="0.0001"}`), 0)
  assert.equal(m.get(`${NAME}_bucket{le="0.0005"}`), 1000, 'a value on a bound counts in that bucket')
  assert.equal(m.get(`${NAME}_bucket{le="+Inf"}`), 1000)
  assert.ok(Math.abs(m.get(`${NAME}_sum`)! - 0.5) < 1e-12)
})

it('renders the same series, HELP and TYPE as prom-client\'s Histogram fed one observation per job', async () => {
  const ours = new Registry()
  const theirs = new Registry()
  const batch = new BatchHistogram({ name: NAME, help: 'Time a job ran', buckets: DURATION_BUCKETS, registers: [ours] })
  const reference = new Histogram({ name: NAME, help: 'Time a job ran', buckets: DURATION_BUCKETS, registers: [theirs] })
  // per-job values below, on and between the bounds and above the last one; batch sizes 1 to 5,000
  const batches: Array<[jobs: number, seconds: number]> = [[1, 0], [3, 0.0001], [5000, 0.00003], [7, 0.0007], [1, 0.01], [250, 0.004], [2, 60], [4, 75], [17, 0.2]]
  for (const [jobs, seconds] of batches) {
    batch.observeMany(seconds, jobs)
    for (let i = 0; i < jobs; i++) reference.observe(seconds)
  }
  const [a, b] = [await ours.metrics(), await theirs.metrics()]
  const header = (text: string): string[] => text.split('\n').filter(l => l.startsWith('#'))
  assert.deepEqual(header(a), header(b))
  const [ma, mb] = [parseMetrics(a), parseMetrics(b)]
  assert.deepEqual([...ma.keys()], [...mb.keys()], 'the same series in the same order')
  for (const [key, value] of mb) {
    if (key === `${NAME}_sum`) assert.ok(Math.abs(ma.get(key)! - value) <= 1e-9 * value, `${key}: ${ma.get(key)} vs ${value}`)
    else assert.equal(ma.get(key), value, key)
  }
  assert.equal(ma.get(`${NAME}_count`), batches.reduce((n, [jobs]) => n + jobs, 0))
})

it('ignores non-finite values and empty batches, resets to zero, and refuses buckets out of order', async () => {
  const registry = new Registry()
  const h = new BatchHistogram({ name: 'h', help: 'h', buckets: [1, 2], registers: [registry] })
  h.observeMany(Number.NaN, 5)
  h.observeMany(Infinity, 5)
  h.observeMany(1, 0)
  h.observe(1.5)
  assert.equal(parseMetrics(await registry.metrics()).get('h_count'), 1)
  assert.equal(parseMetrics(await registry.metrics()).get('h_bucket{le="2"}'), 1)
  registry.resetMetrics()
  assert.equal(parseMetrics(await registry.metrics()).get('h_count'), 0)
  assert.throws(() => new BatchHistogram({ name: 'x', help: 'x', buckets: [1, 1] }), RangeError)
})

it('costs one update per batch, not one per job, and counts as many', async (t) => {
  // the time is measured, not asserted (no timing assertions): the numbers go in the test log
  const jobs = 10_000
  const rounds = 50
  const registry = new Registry()
  const batch = new BatchHistogram({ name: 'b', help: 'b', buckets: DURATION_BUCKETS, registers: [registry] })
  const reference = new Histogram({ name: 'r', help: 'r', buckets: DURATION_BUCKETS, registers: [registry] })
  let start = performance.now()
  for (let r = 0; r < rounds; r++) batch.observeMany(0.00002, jobs)
  const oursNs = (performance.now() - start) * 1e6 / rounds
  start = performance.now()
  for (let r = 0; r < rounds; r++) for (let i = 0; i < jobs; i++) reference.observe(0.00002)
  const perJobNs = (performance.now() - start) * 1e6 / rounds
  t.diagnostic(`a batch of ${jobs} jobs: ${oursNs.toFixed(0)} ns with observeMany, ${(perJobNs / 1e6).toFixed(2)} ms (${(perJobNs / jobs).toFixed(0)} ns a job) with one observe per job`)
  const m = parseMetrics(await registry.metrics())
  assert.equal(m.get('b_count'), rounds * jobs)
  assert.equal(m.get('b_bucket{le="0.0001"}'), m.get('r_bucket{le="0.0001"}'))
})
