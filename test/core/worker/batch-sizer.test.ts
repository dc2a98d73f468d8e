import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { BatchSizer } from '../../../core/worker/batch-sizer.js'

describe('BatchSizer: how many jobs go into one batch', () => {
  it('starts with single jobs until a cost is measured (a first job may take seconds)', () => {
    const sizer = new BatchSizer()
    assert.equal(sizer.next(10_000, 4), 1)
    assert.equal(new BatchSizer(8).next(10_000, 4), 8, 'or the initial size it was given')
  })

  it('aims at batches of about 20 ms once the cost per job is known', () => {
    const sizer = new BatchSizer()
    sizer.observe(100, 10) // 0.1 ms per job
    assert.equal(sizer.next(10_000, 1), 200)
    const slow = new BatchSizer()
    slow.observe(10, 40) // 4 ms per job
    assert.equal(slow.next(10_000, 1), 5)
  })

  it('gives a heavy job a batch of its own, never an empty batch', () => {
    const sizer = new BatchSizer()
    sizer.observe(1, 500)
    assert.equal(sizer.next(10_000, 4), 1)
    assert.equal(sizer.next(0, 4), 1, 'at least one, even with nothing counted as available')
  })

  it('caps tiny jobs at the largest batch (512 by default, or the one given)', () => {
    const sizer = new BatchSizer()
    sizer.observe(10_000, 1) // 0.0001 ms per job: 200,000 would fit in 20 ms
    assert.equal(sizer.next(1_000_000, 1), 512)
    const capped = new BatchSizer(1, 64)
    capped.observe(10_000, 1)
    assert.equal(capped.next(1_000_000, 1), 64)
  })

  it('splits what is available fairly over the consumers, so the last jobs of a flow spread over every thread', () => {
    const sizer = new BatchSizer()
    sizer.observe(10_000, 1)
    assert.equal(sizer.next(100, 4), 25)
    assert.equal(sizer.next(101, 4), 26, 'rounded up: no job left over for a fifth batch')
    assert.equal(sizer.next(3, 4), 1)
    assert.equal(sizer.next(100, 0), 100, 'no slots counts as one consumer')
  })

  it('follows the cost as it changes: tiny jobs after a heavy one grow the batch to the cap within twenty batches', () => {
    const sizer = new BatchSizer()
    sizer.observe(1, 1000)
    assert.equal(sizer.next(10_000, 1), 1)
    const sizes: number[] = []
    for (let i = 0; i < 20; i++) {
      const size = sizer.next(10_000, 1)
      sizes.push(size)
      sizer.observe(size, size * 0.01) // the new jobs cost 0.01 ms each
    }
    for (let i = 1; i < sizes.length; i++) assert.ok(sizes[i] >= sizes[i - 1], `never shrinks on cheaper jobs: ${sizes.join(', ')}`)
    // the heavy job's weight decays by `keep` (0.7) per batch: ten single jobs, then the batch grows geometrically
    assert.equal(sizes.at(-1), 512, `reaches the cap: ${sizes.join(', ')}`)
  })
})
