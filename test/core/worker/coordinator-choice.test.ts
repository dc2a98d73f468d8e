/**
 * Which coordinator a worker may join and when it moves on (core/worker/coordinator-choice.ts): the pure
 * rule, with the time given explicitly.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { CoordinatorChoice, DEFAULT_FORGET_AFTER_MS } from '../../../core/worker/coordinator-choice.js'

const here = (...peers: string[]) => (peer: string) => peers.includes(peer)

describe('CoordinatorChoice', () => {
  it('acceptFirst: any coordinator until one is joined, then only that one', () => {
    const choice = new CoordinatorChoice({ acceptFirst: true })
    assert.deepEqual(choice.candidates(['a', 'b']), ['a', 'b'])
    choice.hold('a')
    assert.equal(choice.current, 'a')
    assert.deepEqual(choice.candidates(['a', 'b']), ['a'])
    assert.deepEqual(choice.candidates(['b']), [], 'b is not joined while a is pinned, even with a away')
  })

  it('forgets the joined coordinator once it has been gone forgetAfterMs, counted from when it was first seen gone', () => {
    assert.equal(DEFAULT_FORGET_AFTER_MS, 30_000)
    const choice = new CoordinatorChoice({ acceptFirst: true })
    choice.hold('a')
    assert.deepEqual(choice.observe(here('a'), 0), { kind: 'none' })
    assert.deepEqual(choice.observe(here(), 1_000), { kind: 'gone', forgetInMs: 30_000 })
    assert.deepEqual(choice.observe(here(), 30_999), { kind: 'gone', forgetInMs: 1 })
    assert.deepEqual(choice.observe(here(), 31_000), { kind: 'forgotten', coordinator: 'a', goneMs: 30_000 })
    assert.equal(choice.current, undefined)
    assert.deepEqual(choice.candidates(['a', 'b']), ['a', 'b'], 'back to discovery: any coordinator again')
    choice.hold('b')
    assert.deepEqual(choice.candidates(['a', 'b']), ['b'], 'the next one joined is pinned in turn')
  })

  it('a return within the window starts the count again (a restarted coordinator keeps its workers)', () => {
    const choice = new CoordinatorChoice({ acceptFirst: true, forgetAfterMs: 10_000 })
    choice.hold('a')
    assert.equal(choice.observe(here(), 0).kind, 'gone')
    assert.deepEqual(choice.observe(here('a'), 9_000), { kind: 'none' })
    assert.deepEqual(choice.observe(here(), 12_000), { kind: 'gone', forgetInMs: 10_000 })
    assert.deepEqual(choice.observe(here(), 21_999), { kind: 'gone', forgetInMs: 1 })
    assert.equal(choice.observe(here(), 22_000).kind, 'forgotten')
  })

  it('pause() stops the count: it starts again at the next look', () => {
    const choice = new CoordinatorChoice({ acceptFirst: true, forgetAfterMs: 10_000 })
    choice.hold('a')
    choice.observe(here(), 0)
    choice.pause()
    assert.deepEqual(choice.observe(here(), 60_000), { kind: 'gone', forgetInMs: 10_000 })
  })

  it('never forgets given coordinators (bootstrap, --coordinator), and with Infinity nothing at all', () => {
    const listed = new CoordinatorChoice({ coordinators: ['a', 'b'], acceptFirst: true, forgetAfterMs: 1 })
    listed.hold('a')
    assert.deepEqual(listed.observe(here(), 0), { kind: 'none' })
    assert.deepEqual(listed.observe(here(), 1e9), { kind: 'none' })
    assert.deepEqual(listed.candidates(['c', 'b', 'a']), ['b', 'a'], 'any listed one that is connected, never another')
    const never = new CoordinatorChoice({ acceptFirst: true, forgetAfterMs: Infinity })
    never.hold('a')
    assert.deepEqual(never.observe(here(), 1e12), { kind: 'none' })
    assert.deepEqual(never.candidates(['a', 'b']), ['a'])
  })

  it('failover: one of the list at a time, in list order, the next one after a forgotten or failed one', () => {
    const choice = new CoordinatorChoice({ coordinators: ['a', 'b', 'c'], failover: true, forgetAfterMs: 100 })
    assert.deepEqual(choice.candidates(['c', 'b', 'a', 'x']), ['a', 'b', 'c'], 'list order, strangers left out')
    choice.hold('a')
    assert.deepEqual(choice.candidates(['a', 'b', 'c']), ['a'])
    assert.deepEqual(choice.candidates(['b', 'c']), [], 'stays with a while it may come back')
    choice.observe(here(), 0)
    assert.deepEqual(choice.observe(here(), 100), { kind: 'forgotten', coordinator: 'a', goneMs: 100 })
    assert.deepEqual(choice.candidates(['a', 'b', 'c']), ['b', 'c', 'a'], 'the next one first')
    choice.failed('b') // b did not prove the secret
    assert.deepEqual(choice.candidates(['a', 'b', 'c']), ['c', 'a', 'b'])
    choice.hold('c')
    choice.observe(here(), 200)
    choice.observe(here(), 300)
    assert.deepEqual(choice.candidates(['a', 'b', 'c']), ['a', 'b', 'c'], 'wraps around the list')
  })
})
