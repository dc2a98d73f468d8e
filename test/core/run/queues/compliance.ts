/**
 * What every StageQueue promises, run against each implementation (as libp2p's interface compliance
 * suites are): work comes out first in first out, put-back work comes out first, and `size` is exact at
 * every step (the run's queued count is the sum of the sizes, and sources are throttled on it).
 * `make()` gives a queue whose cluster (if any) is ready with one member, `worker`, which may take all.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { StageQueue } from '../../../../core/run/queues/stage-queue.js'
import { valueOf, work } from './queue-helpers.js'

const item = (i: number): [string, number] => [`k${i % 3}`, i]

export function stageQueueCompliance (name: string, make: () => StageQueue, worker = 'worker/0'): void {
  describe(`${name}: the StageQueue contract`, () => {
    it('is empty at first: size 0, nothing to take', () => {
      const q = make()
      q.refill()
      assert.equal(q.size, 0)
      assert.equal(q.take(worker), undefined)
    })

    it('hands out work first in first out; size counts what waits, exactly', () => {
      const q = make()
      for (let i = 0; i < 5; i++) {
        q.push(work(item(i)))
        assert.equal(q.size, i + 1)
      }
      q.refill()
      assert.equal(q.size, 5)
      const taken = []
      for (let w = q.take(worker); w != null; w = q.take(worker)) {
        taken.push(w)
        if (w.group == null) assert.equal(q.size, 5 - taken.length)
      }
      assert.deepEqual(taken.map(valueOf), [0, 1, 2, 3, 4].map(item))
      // a verified queue holds its work until the replicas decide
      for (const w of taken) q.decided(w)
      assert.equal(q.size, 0)
    })

    it('put-back work is taken again first, and counted again', () => {
      const q = make()
      for (let i = 0; i < 3; i++) q.push(work(item(i)))
      q.refill()
      const first = q.take(worker)!
      const second = q.take(worker)!
      const before = q.size
      q.putBack(second, worker)
      q.putBack(first, worker)
      if (first.group == null) assert.equal(q.size, before + 2)
      q.refill()
      assert.deepEqual([valueOf(q.take(worker)), valueOf(q.take(worker)), valueOf(q.take(worker))], [item(0), item(1), item(2)])
    })

    it('a member leaving that holds nothing changes nothing', () => {
      const q = make()
      q.push(work(item(0)))
      q.memberLeft('someone-else')
      assert.equal(q.size, 1)
      q.refill()
      assert.deepEqual(valueOf(q.take(worker)), item(0))
    })
  })
}
