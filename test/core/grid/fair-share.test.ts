/** fairShares: water-filling of a worker's free job slots over runs, by jobs in flight per unit of weight. */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { fairShares } from '../../../core/grid/fair-share.js'

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)

it('equal weights and loads split evenly; the remainder goes to one run', () => {
  assert.deepEqual(fairShares([0, 0], [1, 1], 10), [5, 5])
  const odd = fairShares([0, 0], [1, 1], 7)
  assert.equal(sum(odd), 7)
  assert.ok(Math.abs(odd[0] - odd[1]) === 1)
})

it('the run holding fewer slots is topped up first; one above the level gets none', () => {
  assert.deepEqual(fairShares([60, 0], [1, 1], 8), [0, 8])
  assert.deepEqual(fairShares([10, 4], [1, 1], 10), [2, 8])
})

it('weights scale the level: 3:1 holds 3:1', () => {
  assert.deepEqual(fairShares([0, 0], [3, 1], 8), [6, 2])
  assert.deepEqual(fairShares([30, 10], [3, 1], 40), [30, 10])
})

it('always gives exactly the amount, whole and non-negative, whatever the loads and weights', () => {
  let seed = 7
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
  for (let i = 0; i < 500; i++) {
    const n = 1 + Math.floor(rand() * 5)
    const loads = Array.from({ length: n }, () => Math.floor(rand() * 100))
    const weights = Array.from({ length: n }, () => 0.1 + rand() * 5)
    const amount = Math.floor(rand() * 300)
    const shares = fairShares(loads, weights, amount)
    assert.equal(sum(shares), amount, JSON.stringify({ loads, weights, amount, shares }))
    assert.ok(shares.every(s => Number.isInteger(s) && s >= 0))
  }
  assert.deepEqual(fairShares([], [], 5), [])
  assert.deepEqual(fairShares([1, 2], [1, 1], 0), [0, 0])
})
