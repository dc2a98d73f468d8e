/** JobIds: n * slots + slot, safe integers only, placed once before the first id. */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { JobIds } from '../../../core/run/job-ids.js'

it('alone a run numbers its jobs 1, 2, 3 …; in a slot, n * slots + slot', () => {
  const alone = new JobIds()
  assert.deepEqual([alone.next(), alone.next(), alone.next()], [1, 2, 3])
  const slotted = new JobIds(3, 256, 10)
  assert.deepEqual([slotted.next(), slotted.next()], [10 * 256 + 3, 11 * 256 + 3])
  assert.equal(slotted.nextN, 12)
})

it('is placed in a slot only before its first id, and checks its bounds', () => {
  const ids = new JobIds()
  ids.place(5, 8, 4)
  assert.equal(ids.next(), 4 * 8 + 5)
  assert.throws(() => { ids.place(1, 8) }, /before the first job/)
  assert.throws(() => new JobIds(8, 8), /slot must be an integer in \[0, 8\)/)
  assert.throws(() => new JobIds(0, 0), /slots must be a positive integer/)
  assert.throws(() => new JobIds(0, 1, 0), /first must be a positive integer/)
})

it('never hands out an id beyond the safe integers (the wire accepts no other)', () => {
  const last = Math.floor((Number.MAX_SAFE_INTEGER - 255) / 256)
  const ids = new JobIds(255, 256, last)
  assert.ok(Number.isSafeInteger(ids.next()))
  assert.throws(() => ids.next(), /exhausted/)
})
