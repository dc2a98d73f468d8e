/**
 * RefTable: entries that share a hash are told apart by the caller's comparison, used-up entries are not found
 * again but do not cut the probe chain behind them, and a table never takes more than it was sized for.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { RefTable } from '../../../core/journal/ref-table.js'
import { finishHash, HASH_SEED, hashBytes } from '../../../core/util/hash.js'

it('finds entries by hash and comparison, through collisions and used-up entries', () => {
  const keys = ['a', 'b', 'c', 'd', 'e']
  const table = new RefTable(keys.length + 1)
  // every key under the same hash: the worst case, a single probe chain
  keys.forEach((_, i) => { table.add(7, i, i * 10) })
  table.add(7, 0, 99) // a second copy of key 'a'
  const find = (key: string, useUp = false): { a: number, b: number } | undefined => table.find(7, a => keys[a] === key, useUp)
  assert.deepEqual(find('c'), { a: 2, b: 20 })
  assert.equal(table.find(8, () => true), undefined, 'another hash finds nothing')
  assert.deepEqual(find('a', true), { a: 0, b: 0 })
  assert.deepEqual(find('a', true), { a: 0, b: 99 }, 'the second copy after the first is used up')
  assert.equal(find('a', true), undefined)
  assert.deepEqual(find('e'), { a: 4, b: 40 }, 'entries behind used-up ones are still found')
  assert.equal(table.size, 6)
  assert.throws(() => { table.add(1, 0, 0) }, RangeError)
})

it('indexes a million distinct keys and finds each one (no key lost to a collision)', () => {
  const n = 1_000_000
  const table = new RefTable(n)
  const key = (i: number): Uint8Array => Uint8Array.of(i & 0xff, (i >>> 8) & 0xff, i >>> 16)
  for (let i = 0; i < n; i++) table.add(finishHash(hashBytes(HASH_SEED, key(i))), i, 0)
  let found = 0
  for (let i = 0; i < n; i += 997) if (table.find(finishHash(hashBytes(HASH_SEED, key(i))), a => a === i) != null) found++
  assert.equal(found, Math.ceil(n / 997))
})
