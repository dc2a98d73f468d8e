/**
 * WorkerCaps (core/run/worker-caps.ts): the one check of which kinds of work a network worker may get, from
 * the features its hello announced. Real stage states (createStageState) of each kind against workers
 * lacking one feature each.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { StageSpec } from '../../../core/flow/model.js'
import { ClusterMembership } from '../../../core/run/placement.js'
import { createStageState } from '../../../core/run/stage-state.js'
import type { StageState, StageStateOptions } from '../../../core/run/stage-state.js'
import { WorkerCaps } from '../../../core/run/worker-caps.js'
import type { WorkerFeatures } from '../../../core/run/worker-caps.js'

const fn = { module: 'ab'.repeat(32), export: 'f' }
const sum = { module: 'ab'.repeat(32), export: 'sum' }

function stage (options: StageStateOptions, spec: Partial<StageSpec> = {}): StageState {
  const base = { kind: 'map', name: 's', function: 'f', inputs: ['src'], outputs: ['out'], timeoutMs: 1000, retries: 0, ...spec } as StageSpec
  return createStageState(base, fn, new ClusterMembership(), options)
}

const chainHead = (): StageState => {
  const head = stage({ chunked: true })
  head.chain = { stages: [head], fns: [fn], timeoutMs: 2000 }
  return head
}

const stages: Record<string, () => StageState> = {
  plain: () => stage({}),
  'side input': () => stage({}, { sideInput: 'config' } as Partial<StageSpec>),
  'range chunks': () => stage({ chunked: true }),
  'range chunks with a combiner': () => stage({ chunked: true, combine: [{ port: 0, fn: sum }] }),
  'item chunks': () => stage({ itemChunked: true }),
  'chain head': chainHead
}

/** Which stages each worker may get work of (every other feature announced). */
const cases: Array<[string, WorkerFeatures, string[]]> = [
  ['everything', {}, Object.keys(stages)],
  ['no side inputs', { sideInputs: false }, ['plain', 'range chunks', 'range chunks with a combiner', 'item chunks', 'chain head']],
  ['no range chunks', { chunks: false }, ['plain', 'side input', 'item chunks']],
  ['no item chunks', { itemChunks: false }, ['plain', 'side input', 'range chunks', 'chain head']],
  ['no chains', { chains: false }, ['plain', 'side input', 'range chunks', 'range chunks with a combiner', 'item chunks']]
]

describe('WorkerCaps', () => {
  for (const [name, can, allowed] of cases) {
    it(`a worker with ${name} gets work of: ${allowed.join(', ')}`, () => {
      const caps = new WorkerCaps()
      caps.joined('w', can)
      const got = Object.entries(stages).filter(([, make]) => caps.mayRun(make(), 'w')).map(([kind]) => kind)
      assert.deepEqual(got, allowed)
    })
  }

  it('an embedded worker (never joined) may run everything; a worker that left loses its limits', () => {
    const caps = new WorkerCaps()
    for (const make of Object.values(stages)) assert.equal(caps.mayRun(make(), 'embedded'), true)
    caps.joined('w', { itemChunks: false, chains: false, threads: 2 })
    assert.equal(caps.threadsOf('w'), 2)
    assert.equal(caps.mayRun(stages['item chunks'](), 'w'), false)
    caps.left('w')
    assert.equal(caps.mayRun(stages['item chunks'](), 'w'), true)
    assert.equal(caps.threadsOf('w'), Number.POSITIVE_INFINITY)
  })
})
