import { it } from 'node:test'
import assert from 'node:assert/strict'
import { PeerStrikes, PerSecondLimit } from '../../../core/peer/peer-limits.js'

it('a peer is refused at the strike limit, only for the cooldown, and others are not affected', () => {
  let now = 1_000
  const strikes = new PeerStrikes(3, 60_000, () => now)
  assert.equal(strikes.strike('a'), false)
  assert.equal(strikes.strike('a'), false)
  assert.equal(strikes.strike('b'), false)
  assert.equal(strikes.isBanned('a'), false)
  assert.equal(strikes.strike('a'), true, 'third strike refuses')
  assert.equal(strikes.isBanned('a'), true)
  assert.equal(strikes.strike('a'), false, 'already refused: no second disconnect')
  assert.equal(strikes.isBanned('b'), false)
  now += 59_999
  assert.equal(strikes.isBanned('a'), true)
  now += 1
  assert.equal(strikes.isBanned('a'), false, 'cooldown over')
  assert.equal(strikes.count('a'), 0, 'it starts again from zero strikes')
})

it('per-second limit: excess messages are dropped and the first excess per window is flagged', () => {
  let now = 5_000
  const limit = new PerSecondLimit(2, () => now)
  assert.deepEqual([limit.take('a'), limit.take('a'), limit.take('a'), limit.take('a'), limit.take('b')], ['ok', 'ok', 'first-over', 'over', 'ok'])
  now += 1000
  assert.equal(limit.take('a'), 'ok', 'a new second')
})
