import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { JobCost } from '../../../core/worker/job-cost.js'

describe('JobCost: the cost per job, learned from finished batches', () => {
  it('knows nothing before the first batch', () => {
    assert.equal(new JobCost().msPerJob, undefined)
  })

  it('one batch gives its time per job', () => {
    const cost = new JobCost()
    cost.observe(10, 20)
    assert.equal(cost.msPerJob, 2)
  })

  it('ignores empty batches, and counts a batch measured at 0 ms (or less) as a tiny positive time', () => {
    const cost = new JobCost()
    cost.observe(0, 1000)
    assert.equal(cost.msPerJob, undefined, 'a batch of no jobs teaches nothing')
    cost.observe(1000, 0)
    assert.ok(cost.msPerJob != null && cost.msPerJob > 0 && cost.msPerJob < 1e-5, `tiny but positive: ${cost.msPerJob}`)
    const negative = new JobCost()
    negative.observe(1, -5) // clocks step: never a negative cost
    assert.ok(negative.msPerJob != null && negative.msPerJob > 0)
  })

  it('weighs a batch by its jobs: a small batch with a fixed overhead does not make tiny jobs look expensive', () => {
    const cost = new JobCost()
    cost.observe(1000, 100) // 0.1 ms per job
    cost.observe(2, 10) // a thread hand-off dominates: 5 ms "per job"
    // decayed sums: (100·0.7 + 10) / (1000·0.7 + 2) ≈ 0.114; a mean of per-batch samples would say 2.55
    assert.ok(Math.abs(cost.msPerJob! - 80 / 702) < 1e-9, String(cost.msPerJob))
  })

  it('forgets the past at the rate `keep` says: a change of job cost is learned within a few batches', () => {
    const cost = new JobCost()
    cost.observe(100, 100) // 1 ms per job
    for (let i = 0; i < 10; i++) cost.observe(100, 1000) // now 10 ms per job
    assert.ok(cost.msPerJob! > 9.9 && cost.msPerJob! < 10, String(cost.msPerJob))
    const stubborn = new JobCost(1) // keep everything: a plain ratio of totals
    stubborn.observe(100, 100)
    stubborn.observe(100, 1000)
    assert.equal(stubborn.msPerJob, 5.5)
    const forgetful = new JobCost(0) // keep nothing: the last batch only
    forgetful.observe(100, 100)
    forgetful.observe(100, 1000)
    assert.equal(forgetful.msPerJob, 10)
  })
})
