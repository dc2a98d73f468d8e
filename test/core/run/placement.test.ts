import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { ClusterSpec } from '../../../core/flow/model.js'
import { assignMembers, ClusterMembership, isComplete } from '../../../core/run/placement.js'
import type { PresentWorker } from '../../../core/run/placement.js'

const cluster = (name: string, labels: string[] = [], members?: number): ClusterSpec => members == null ? { name, labels } : { name, labels, members }
const w = (id: string, ...labels: string[]): PresentWorker => ({ id, labels })
const plain = (m: Map<string, string[]>): Record<string, string[]> => Object.fromEntries(m)

describe('assignMembers', () => {
  it('a label cluster holds every worker with all its labels, in join order', () => {
    const m = assignMembers([cluster('gpu', ['gpu']), cluster('fastgpu', ['gpu', 'fast']), cluster('all')],
      [w('a', 'gpu'), w('b'), w('c', 'fast', 'gpu'), w('d', 'fast')], new Map())
    assert.deepEqual(plain(m), { gpu: ['a', 'c'], fastgpu: ['c'], all: ['a', 'b', 'c', 'd'] })
  })

  it('a sized cluster takes the first eligible workers in join order', () => {
    const m = assignMembers([cluster('pair', [], 2)], [w('a'), w('b'), w('c')], new Map())
    assert.deepEqual(plain(m), { pair: ['a', 'b'] })
  })

  it('sized clusters are disjoint, filled in declaration order; label clusters overlap them', () => {
    const m = assignMembers([cluster('one', [], 1), cluster('two', [], 2), cluster('any')], [w('a'), w('b'), w('c'), w('d')], new Map())
    assert.deepEqual(plain(m), { one: ['a'], two: ['b', 'c'], any: ['a', 'b', 'c', 'd'] })
  })

  it('labels and a size together: n of the labelled workers', () => {
    const m = assignMembers([cluster('g', ['gpu'], 1)], [w('a'), w('b', 'gpu'), w('c', 'gpu')], new Map())
    assert.deepEqual(plain(m), { g: ['b'] })
  })

  it('members are kept while they live: an earlier-joined worker never displaces them', () => {
    const clusters = [cluster('pair', [], 2)]
    // b and c were members; a (listed first, as if it joined earlier) must not take a place
    const m = assignMembers(clusters, [w('a'), w('b'), w('c')], new Map([['pair', ['c', 'b']]]))
    assert.deepEqual(plain(m), { pair: ['c', 'b'] })
  })

  it('a member that leaves is replaced by the earliest eligible worker in no sized cluster', () => {
    const clusters = [cluster('one', [], 1), cluster('two', [], 2)]
    const before = assignMembers(clusters, [w('a'), w('b'), w('c'), w('d'), w('e')], new Map())
    assert.deepEqual(plain(before), { one: ['a'], two: ['b', 'c'] })
    const after = assignMembers(clusters, [w('a'), w('c'), w('d'), w('e')], before)
    assert.deepEqual(plain(after), { one: ['a'], two: ['c', 'd'] })
  })

  it('isComplete: a sized cluster at its size, a label cluster with one member', () => {
    assert.equal(isComplete(cluster('p', [], 2), ['a']), false)
    assert.equal(isComplete(cluster('p', [], 2), ['a', 'b']), true)
    assert.equal(isComplete(cluster('l', ['x']), []), false)
    assert.equal(isComplete(cluster('l', ['x']), ['a']), true)
  })
})

describe('ClusterMembership', () => {
  it('reports changes, and becomes ready once complete, staying ready while a member remains', () => {
    const m = new ClusterMembership({ pair: cluster('pair', [], 2) })
    assert.equal(m.join('a', []), true)
    assert.equal(m.isReady('pair'), false, 'one of two members: not started yet')
    assert.equal(m.join('b', []), true)
    assert.equal(m.isReady('pair'), true)
    assert.equal(m.join('c', []), false, 'c waits outside the full cluster')
    assert.equal(m.leave('a'), true)
    assert.deepEqual(m.members('pair'), ['b', 'c'], 'c takes the free place')
    m.leave('b')
    m.leave('c')
    assert.equal(m.isReady('pair'), false, 'no member left')
    m.join('d', [])
    assert.equal(m.isReady('pair'), true, 'once started, one member is enough')
    assert.equal(m.isMember('pair', 'd'), true)
    assert.equal(m.isMember('pair', 'local'), false, 'embedded workers never join, so are never members')
    assert.deepEqual(m.snapshot(), { pair: { members: ['d'], labels: [], size: 2 } })
  })

  it('a worker joining twice or an unknown worker leaving changes nothing', () => {
    const m = new ClusterMembership({ g: cluster('g', ['gpu']) })
    assert.equal(m.join('a', ['gpu']), true)
    assert.equal(m.join('a', ['gpu']), false)
    assert.equal(m.leave('zz'), false)
    assert.equal(m.hasClusters, true)
    assert.equal(new ClusterMembership().hasClusters, false)
  })
})
