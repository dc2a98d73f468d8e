import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { CreditWindow } from '../../../core/worker/credits.js'

describe('CreditWindow: how many jobs a worker asks for', () => {
  it('starts small: two jobs per thread until a cost is measured', () => {
    assert.equal(new CreditWindow(1).target(), 2)
    assert.equal(new CreditWindow(4).target(), 8)
  })

  it('holds about 50 ms of work per thread once the cost per job is known', () => {
    const window = new CreditWindow(4)
    window.observe(100, 10) // 0.1 ms per job: 500 jobs per thread
    assert.equal(window.target(), 2000)
    const slow = new CreditWindow(2)
    slow.observe(10, 40) // 4 ms per job: ceil(12.5) per thread
    assert.equal(slow.target(), 26)
  })

  it('never fewer than two per thread (heavy jobs), never more than 8192 (tiny jobs)', () => {
    const heavy = new CreditWindow(3)
    heavy.observe(1, 5000)
    assert.equal(heavy.target(), 6)
    const tiny = new CreditWindow(16)
    tiny.observe(100_000, 1)
    assert.equal(tiny.target(), 8192)
  })

  it('grows with evidence, like a TCP window, and shrinks when jobs get heavier', () => {
    const window = new CreditWindow(2)
    const targets = [window.target()]
    window.observe(2, 2) // 1 ms per job
    targets.push(window.target())
    window.observe(50, 5) // cheaper
    targets.push(window.target())
    assert.deepEqual(targets, [4, 100, targets[2]])
    assert.ok(targets[2] > targets[1], `grows on cheaper jobs: ${targets.join(', ')}`)
    for (let i = 0; i < 10; i++) window.observe(1, 100)
    assert.ok(window.target() < 10, `shrinks on heavy ones: ${window.target()}`)
  })
})
