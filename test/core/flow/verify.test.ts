/**
 * A stage's `verify: { replicas }` in flow.json: valid values give the normalised FlowSpec field; malformed
 * ones and contradicting combinations (cluster, sideInput) fail with the exact JSON path.
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { assertRejected, loadFromTree, standardTree, variant as variantOf } from './helpers.js'
import type { Flow } from './helpers.js'

function base (): Flow {
  return {
    name: 'test',
    functions: { double: { wasm: 'fns.wasm', export: 'double' } },
    clusters: { gpu: { labels: ['gpu'] } },
    sources: { nums: { type: 'range', start: 1, end: 11 } },
    stages: { doubled: { function: 'double', input: 'nums' } },
    sinks: { print: { type: 'stdout', input: 'doubled' } }
  }
}

const variant = (change: (flow: Flow) => void): Flow => variantOf(base, change)

let tree: Record<string, Uint8Array | string>
before(async () => { tree = await standardTree() })

const load = async (flow: Flow): ReturnType<typeof loadFromTree> => await loadFromTree(tree, flow)
const rejects = async (flow: Flow, path: string, ...parts: string[]): Promise<void> => await assertRejected(tree, flow, path, ...parts)

describe('flow.json verify', () => {
  it('is absent unless asked for', async () => {
    const { spec } = await load(variant(() => {}))
    assert.equal(spec.stages.doubled.verify, undefined)
  })
  it('replicas 2 to 5 on map and aggregate stages', async () => {
    for (const replicas of [2, 5]) {
      const { spec } = await load(variant(f => { f.stages.doubled.verify = { replicas } }))
      assert.deepEqual(spec.stages.doubled.verify, { replicas })
    }
    const { spec } = await load(variant(f => {
      f.stages.sum = { type: 'aggregate', function: 'double', input: 'doubled', verify: { replicas: 3 } }
    }))
    assert.deepEqual(spec.stages.sum.verify, { replicas: 3 })
  })
  describe('rejects', () => {
    it('replicas out of range or not an integer', async () => {
      await rejects(variant(f => { f.stages.doubled.verify = { replicas: 1 } }), 'stages.doubled.verify.replicas', 'from 2 to 5')
      await rejects(variant(f => { f.stages.doubled.verify = { replicas: 6 } }), 'stages.doubled.verify.replicas', 'from 2 to 5')
      await rejects(variant(f => { f.stages.doubled.verify = { replicas: 2.5 } }), 'stages.doubled.verify.replicas', 'from 2 to 5')
    })
    it('a missing or unknown field, or not an object', async () => {
      await rejects(variant(f => { f.stages.doubled.verify = {} }), 'stages.doubled.verify.replicas')
      await rejects(variant(f => { f.stages.doubled.verify = { replicas: 2, quorum: 2 } }), 'stages.doubled.verify.quorum', 'allowed fields: replicas')
      await rejects(variant(f => { f.stages.doubled.verify = 2 }), 'stages.doubled.verify', '{ "replicas": 2..5 }')
    })
    it('together with a cluster or a side input', async () => {
      await rejects(variant(f => { f.stages.doubled.cluster = 'gpu'; f.stages.doubled.verify = { replicas: 2 } }), 'stages.doubled.verify', 'without "cluster"')
      await rejects(variant(f => {
        f.stages.doubled.sideInput = 'nums'
        f.stages.doubled.verify = { replicas: 2 }
      }), 'stages.doubled.verify', 'without "sideInput"')
    })
  })
})
