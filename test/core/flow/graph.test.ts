import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { buildGraph, inLoop, producerOf } from '../../../core/flow/graph.js'
import type { FlowSpec, SinkSpec, StageSpec } from '../../../core/flow/model.js'

function stage (name: string, inputs: string[], outputs: string[] = ['out'], kind: 'map' | 'aggregate' = 'map'): StageSpec {
  return { kind, name, function: 'f', inputs, outputs, timeoutMs: 1000, retries: 0 } as StageSpec
}

function flow (sources: string[], stages: StageSpec[], sinks: Array<[string, string[]]>): FlowSpec {
  return {
    name: 'g',
    file: 'flow.json',
    functions: { f: { name: 'f', wasm: 'f.wasm', export: 'f' } },
    sources: Object.fromEntries(sources.map(name => [name, { kind: 'values', name, values: [] }])),
    stages: Object.fromEntries(stages.map(s => [s.name, s])),
    sinks: Object.fromEntries(sinks.map(([name, inputs]): [string, SinkSpec] => [name, { kind: 'stdout', name, inputs }]))
  }
}

const sorted = (set: ReadonlySet<string> | undefined): string[] => [...(set ?? [])].sort()

describe('buildGraph', () => {
  // nums → a → b → out, with b fanning out to a sink and stage c, c fanning in a and b.
  const chain = flow(['nums'], [
    stage('a', ['nums']),
    stage('b', ['a'], ['out', 'odd']),
    stage('c', ['a', 'b.odd'])
  ], [['print', ['b', 'c']], ['odds', ['b.odd']]])

  it('consumers per canonical stream, stages before sinks, in file order', () => {
    const g = buildGraph(chain)
    assert.deepEqual(Object.fromEntries(g.consumers), {
      nums: [{ kind: 'stage', name: 'a' }],
      a: [{ kind: 'stage', name: 'b' }, { kind: 'stage', name: 'c' }],
      'b.odd': [{ kind: 'stage', name: 'c' }, { kind: 'sink', name: 'odds' }],
      b: [{ kind: 'sink', name: 'print' }],
      c: [{ kind: 'sink', name: 'print' }]
    })
  })

  it('canonicalises "stage.out" inputs of hand-built specs', () => {
    const g = buildGraph(flow(['s'], [stage('a', ['s']), stage('b', ['a.out'])], [['p', ['b.out']]]))
    assert.deepEqual(g.consumers.get('a'), [{ kind: 'stage', name: 'b' }])
    assert.deepEqual(g.consumers.get('b'), [{ kind: 'sink', name: 'p' }])
    assert.equal(g.consumers.has('a.out'), false)
  })

  it('upstream: transitive sources and stages, without the stage itself when it is in no loop', () => {
    const g = buildGraph(chain)
    assert.deepEqual(sorted(g.upstream.get('a')), ['nums'])
    assert.deepEqual(sorted(g.upstream.get('b')), ['a', 'nums'])
    assert.deepEqual(sorted(g.upstream.get('c')), ['a', 'b', 'nums'])
  })

  it('components of a DAG are single stages, ordered upstream first', () => {
    const g = buildGraph(flow(['s'], [stage('late', ['mid']), stage('mid', ['early']), stage('early', ['s'])], [['p', ['late']]]))
    assert.deepEqual(g.order, ['early', 'mid', 'late'])
    assert.deepEqual(Object.fromEntries(g.component), { early: 0, mid: 1, late: 2 })
    assert.equal(inLoop(g, 'mid'), false)
  })

  describe('with loops', () => {
    // s → pre → [x ⇄ y] → post → agg; z reads itself; q is independent.
    const looped = flow(['s', 't'], [
      stage('post', ['y.done']),
      stage('x', ['pre', 'y.back']),
      stage('y', ['x'], ['back', 'done']),
      stage('pre', ['s']),
      stage('z', ['t', 'z.again'], ['out', 'again']),
      stage('agg', ['post', 'z'], ['out'], 'aggregate')
    ], [['p', ['agg']]])
    const g = buildGraph(looped)

    it('loop members share a component; others have their own', () => {
      assert.equal(g.component.get('x'), g.component.get('y'))
      const ids = ['pre', 'x', 'post', 'z', 'agg'].map(n => g.component.get(n))
      assert.equal(new Set(ids).size, 5)
    })

    it('upstream through a loop includes every member and the stage itself', () => {
      assert.deepEqual(sorted(g.upstream.get('x')), ['pre', 's', 'x', 'y'])
      assert.deepEqual(sorted(g.upstream.get('y')), ['pre', 's', 'x', 'y'])
      assert.deepEqual(sorted(g.upstream.get('post')), ['pre', 's', 'x', 'y'])
      assert.deepEqual(sorted(g.upstream.get('z')), ['t', 'z'])
      assert.deepEqual(sorted(g.upstream.get('agg')), ['post', 'pre', 's', 't', 'x', 'y', 'z'])
    })

    it('inLoop: members of a loop and self-readers', () => {
      assert.deepEqual(Object.keys(looped.stages).filter(n => inLoop(g, n)), ['x', 'y', 'z'])
    })

    it('order is topological over components, members together, ties in file order', () => {
      // The first ready component in file order each time: pre (x⇄y waits for it), x⇄y, post (declared first,
      // ready once x⇄y is placed), z, then agg, which waits for post and z.
      assert.deepEqual(g.order, ['pre', 'x', 'y', 'post', 'z', 'agg'])
      const position = new Map(g.order.map((n, i) => [n, i]))
      for (const s of Object.values(looped.stages)) {
        for (const input of s.inputs) {
          const up = producerOf(input)
          if (up in looped.stages && g.component.get(up) !== g.component.get(s.name)) assert.ok(position.get(up)! < position.get(s.name)!, `${up} before ${s.name}`)
        }
      }
      const ids = g.order.map(n => g.component.get(n)!)
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'component ids follow the order')
    })
  })

  it('producerOf: the owner of a stream', () => {
    assert.equal(producerOf('nums'), 'nums')
    assert.equal(producerOf('iterate.next'), 'iterate')
  })
})
