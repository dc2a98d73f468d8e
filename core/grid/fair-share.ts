/**
 * How one worker's free job slots are split between the runs that have work for it: water-filling on jobs
 * in flight per unit of weight. The run whose `inFlight / weight` is lowest is topped up first, until it
 * reaches the next one's level, then both rise together, and so on. Pure: no state, no clock.
 *
 * It shares job slots, not time: two runs of equal weight each hold about half of a worker's slots; when one
 * run's jobs cost ten times the other's, that run gets about ten times the worker's CPU time (and finishes
 * its share of the jobs at a tenth of the rate). Weights scale the slots: 3:1 holds about 3:1.
 */

/**
 * Shares of `amount` new jobs for runs with `loads[i]` jobs in flight and weights `weights[i]` (> 0):
 * non-negative integers summing to `amount`, making `(loads[i] + shares[i]) / weights[i]` as even as
 * possible (a run already above the level gets none).
 */
export function fairShares (loads: readonly number[], weights: readonly number[], amount: number): number[] {
  const n = loads.length
  const shares = new Array<number>(n).fill(0)
  if (n === 0 || amount <= 0) return shares
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => loads[a] / weights[a] - loads[b] / weights[b])
  // the level L the k lowest runs rise to: sum over them of (L * w - load) = amount
  let k = 0
  let loadSum = 0
  let weightSum = 0
  let level = 0
  while (k < n) {
    const i = order[k]
    const nextLoad = loadSum + loads[i]
    const nextWeight = weightSum + weights[i]
    if (k > 0 && level <= loads[i] / weights[i]) break
    loadSum = nextLoad
    weightSum = nextWeight
    level = (amount + loadSum) / weightSum
    k++
  }
  let given = 0
  const fractions: Array<[index: number, fraction: number]> = []
  for (let j = 0; j < k; j++) {
    const i = order[j]
    const exact = Math.max(0, level * weights[i] - loads[i])
    shares[i] = Math.floor(exact)
    given += shares[i]
    fractions.push([i, exact - shares[i]])
  }
  // floating point may round a share up by one: take it back from the largest
  while (given > amount) {
    const i = shares.indexOf(Math.max(...shares))
    shares[i]--
    given--
  }
  // whole jobs left over by rounding down: to the largest fractions (the lowest runs on ties)
  fractions.sort((a, b) => b[1] - a[1])
  for (let j = 0; given < amount; j = (j + 1) % fractions.length, given++) shares[fractions[j][0]]++
  return shares
}
