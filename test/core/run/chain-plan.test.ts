/** Which stages chain (core/run/chain-plan.ts): a pure function of the flow graph, with a reason where a chain stops. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { buildGraph } from '../../../core/flow/graph.js'
import type { FlowSpec, SinkSpec, SourceSpec, StageSpec } from '../../../core/flow/model.js'
import { planChains } from '../../../core/run/chain-plan.js'
import { MAX_CHAIN_STAGES } from '../../../core/run/chain-chunk.js'
import { splitRangeSources } from '../../../core/run/chunk-plan.js'
import { flow, stage, stdout, values } from './run-helpers.js'

const range = (name: string, n = 100): SourceSpec => ({ kind: 'range', name, start: 0, end: n, step: 1 })

/** The plan as a run makes it: chunked stages from the split range sources, then chains. */
function plan (sources: SourceSpec[], stages: StageSpec[], sinks: SinkSpec[]): ReturnType<typeof planChains> {
  const spec: FlowSpec = flow(sources, stages, sinks, [{ name: 'gpu', labels: ['gpu'] } as never])
  const graph = buildGraph(spec)
  const sideStreams = new Set(stages.flatMap(s => s.kind === 'map' && s.sideInput != null ? [s.sideInput] : []))
  const chunked = new Set([...splitRangeSources(spec, graph, sideStreams).values()].flat())
  return planChains(spec, graph, chunked)
}

describe('planChains', () => {
  it('chains consecutive map stages from a chunked range to the stage a sink reads', () => {
    const p = plan([range('n')], [stage('a', 'f', ['n']), stage('b', 'g', ['a']), stage('c', 'h', ['b'])], [stdout('out', ['c'])])
    assert.deepEqual(p.chains, [['a', 'b', 'c']])
    assert.equal(p.reasons.get('c'), 'its output "c" goes to sink "out"')
  })

  it('two range readers head two chains; a stage alone is no chain', () => {
    const p = plan([range('n')], [stage('a', 'f', ['n']), stage('b', 'g', ['a']), stage('c', 'h', ['n']), stage('d', 'k', ['c']), stage('e', 'f', ['n'])],
      [stdout('out', ['b', 'd', 'e'])])
    assert.deepEqual(p.chains, [['a', 'b'], ['c', 'd']])
    assert.equal(p.reasons.get('e'), 'its output "e" goes to sink "out"')
  })

  it('stops where the items are needed on the coordinator, and says why', () => {
    const cases: Array<[StageSpec[], SinkSpec[], string]> = [
      // fan-out: a sink reads the stage's output too
      [[stage('a', 'f', ['n']), stage('b', 'g', ['a'])], [stdout('out', ['b']), stdout('peek', ['a'])], 'its output "a" goes to sink "peek"'],
      // fan-out to two stages
      [[stage('a', 'f', ['n']), stage('b', 'g', ['a']), stage('c', 'g', ['a'])], [stdout('out', ['b', 'c'])], 'its output "a" is read by 2 stages (fan-out)'],
      // fan-in: the next stage merges another stream
      [[stage('a', 'f', ['n']), stage('b', 'g', ['a', 'v'])], [stdout('out', ['b'])], 'the next stage "b" reads 2 streams (fan-in)'],
      [[stage('a', 'f', ['n']), stage('b', 'g', ['a'], { sideInput: 'v' } as Partial<StageSpec>)], [stdout('out', ['b'])], 'the next stage "b" has a side input'],
      [[stage('a', 'f', ['n']), stage('b', 'g', ['a'], { cluster: 'gpu' })], [stdout('out', ['b'])], 'the next stage "b" is pinned to cluster "gpu"'],
      [[stage('a', 'f', ['n']), stage('b', 'g', ['a'], { verify: { replicas: 2 } })], [stdout('out', ['b'])], 'the next stage "b" is verified'],
      [[stage('a', 'f', ['n']), stage('b', 'g', ['a'], { maxInstances: 2 })], [stdout('out', ['b'])], 'the next stage "b" caps its instances (maxInstances)'],
      [[stage('a', 'f', ['n']), { kind: 'aggregate', name: 'b', function: 'g', inputs: ['a'], outputs: ['out'], timeoutMs: 1000, retries: 0 }], [stdout('out', ['b'])], 'the next stage "b" is an aggregate'],
      [[stage('a', 'f', ['n'], { outputs: ['even', 'odd'] }), stage('b', 'g', ['a.even'])], [stdout('out', ['b', 'a.odd'])], 'it has 2 output ports (a chain passes one stream on)'],
      [[stage('a', 'f', ['n']), stage('b', 'g', ['v'], { sideInput: 'a' } as Partial<StageSpec>)], [stdout('out', ['b'])], 'its output "a" is a side input']
    ]
    for (const [stages, sinks, reason] of cases) {
      const p = plan([range('n'), values('v', [1])], stages, sinks)
      assert.deepEqual(p.chains, [], reason)
      assert.equal(p.reasons.get('a'), reason)
    }
  })

  it('a pinned or verified head chains nothing, and a range that is not split chains nothing', () => {
    const pinned = plan([range('n')], [stage('a', 'f', ['n'], { cluster: 'gpu' }), stage('b', 'g', ['a'])], [stdout('out', ['b'])])
    assert.deepEqual(pinned.chains, [])
    assert.match(pinned.reasons.get('a')!, /^pinned to cluster "gpu"/)
    const verified = plan([range('n')], [stage('a', 'f', ['n'], { verify: { replicas: 2 } }), stage('b', 'g', ['a'])], [stdout('out', ['b'])])
    assert.deepEqual(verified.chains, [])
    assert.match(verified.reasons.get('a')!, /^verified/)
    // a sink reads the range itself: it is read item by item, so no stage takes chunks and none heads a chain
    const unsplit = plan([range('n')], [stage('a', 'f', ['n']), stage('b', 'g', ['a'])], [stdout('out', ['b', 'n'])])
    assert.deepEqual(unsplit.chains, [])
    // items from a values source are not chunks: no chain either
    const items = plan([values('v', [1, 2])], [stage('a', 'f', ['v']), stage('b', 'g', ['a'])], [stdout('out', ['b'])])
    assert.deepEqual(items.chains, [])
  })

  it('a chain holds at most MAX_CHAIN_STAGES stages; the rest run as plain jobs', () => {
    const stages = [stage('s0', 'f', ['n']), ...Array.from({ length: MAX_CHAIN_STAGES + 2 }, (_, i) => stage(`s${i + 1}`, 'f', [`s${i}`]))]
    const p = plan([range('n')], stages, [stdout('out', [`s${MAX_CHAIN_STAGES + 2}`])])
    assert.deepEqual(p.chains, [stages.slice(0, MAX_CHAIN_STAGES).map(s => s.name)])
    assert.equal(p.reasons.get(`s${MAX_CHAIN_STAGES - 1}`), `a chain holds at most ${MAX_CHAIN_STAGES} stages`)
  })

  it('a loop after the head ends the chain', () => {
    // c reads only b, and c's own loop port feeds b: b reads two streams, so the chain is a alone
    const p = plan([range('n')], [stage('a', 'f', ['n']), stage('b', 'g', ['a', 'c.again']), stage('c', 'h', ['b'], { outputs: ['out', 'again'] })], [stdout('out', ['c'])])
    assert.deepEqual(p.chains, [])
    assert.equal(p.reasons.get('a'), 'the next stage "b" reads 2 streams (fan-in)')
  })
})
