/**
 * Clusters and stage placement in flow.json: `clusters` (labels and/or members) and a stage's `cluster`,
 * `broadcast`, `partition`. Valid flows give the normalised FlowSpec; malformed ones the exact JSON path.
 */
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { assertRejected, loadFromTree, standardTree, variant as variantOf } from './helpers.js'
import type { Flow } from './helpers.js'

function base (): Flow {
  return {
    name: 'test',
    functions: { double: { wasm: 'fns.wasm', export: 'double' } },
    clusters: { gpu: { labels: ['gpu'] }, pair: { members: 2 } },
    sources: { nums: { type: 'range', start: 1, end: 11 } },
    stages: { doubled: { function: 'double', input: 'nums', cluster: 'gpu' }, again: { function: 'double', input: 'doubled', cluster: 'pair' } },
    sinks: { print: { type: 'stdout', input: 'again' } }
  }
}

const variant = (change: (flow: Flow) => void): Flow => variantOf(base, change)

let tree: Record<string, Uint8Array | string>
before(async () => { tree = await standardTree() })

const load = async (flow: Flow): ReturnType<typeof loadFromTree> => await loadFromTree(tree, flow)
const rejects = async (flow: Flow, path: string, ...parts: string[]): Promise<void> => await assertRejected(tree, flow, path, ...parts)

describe('flow.json clusters', () => {
  it('normalises clusters (labels default to none) and pinned stages', async () => {
    const { spec, warnings } = await load(base())
    assert.deepEqual(spec.clusters, { gpu: { name: 'gpu', labels: ['gpu'] }, pair: { name: 'pair', labels: [], members: 2 } })
    assert.equal(spec.stages.doubled.cluster, 'gpu')
    assert.equal(spec.stages.again.cluster, 'pair')
    assert.deepEqual(warnings, [])
  })

  it('a flow without clusters has no clusters field and unpinned stages', async () => {
    const { spec } = await load(variant(f => { delete f.clusters; delete f.stages.doubled.cluster; delete f.stages.again.cluster }))
    assert.equal('clusters' in spec, false)
    assert.equal('cluster' in spec.stages.doubled, false)
  })

  it('both labels and members, an empty cluster, and a description are allowed', async () => {
    const { spec } = await load(variant(f => { f.clusters.gpu = { labels: ['gpu', 'fast'], members: 1, description: 'one fast gpu' }; f.clusters.pair = {} }))
    assert.deepEqual(spec.clusters?.gpu, { name: 'gpu', labels: ['gpu', 'fast'], members: 1 })
    assert.deepEqual(spec.clusters?.pair, { name: 'pair', labels: [] })
  })

  it('broadcast: true is kept; false is the default and leaves no field', async () => {
    const { spec } = await load(variant(f => { f.stages.doubled.broadcast = true; f.stages.again.broadcast = false }))
    assert.equal(spec.stages.doubled.broadcast, true)
    assert.equal('broadcast' in spec.stages.again, false)
  })

  it('partition by key or by value', async () => {
    const { spec } = await load(variant(f => { f.stages.doubled.partition = { by: 'key' }; f.stages.again.partition = { by: 'value' } }))
    assert.deepEqual(spec.stages.doubled.partition, { by: 'key' })
    assert.deepEqual(spec.stages.again.partition, { by: 'value' })
  })

  it('sideInput: resolved to a canonical stream id, counted as a read, its producer upstream in the graph', async () => {
    const { spec } = await load(variant(f => {
      f.sources.params = { type: 'values', values: [1] }
      f.stages.doubled.sideInput = 'params'
      f.stages.again.input = 'nums'
      f.stages.again.sideInput = 'doubled.out'
    }))
    assert.equal(spec.stages.doubled.kind === 'map' && spec.stages.doubled.sideInput, 'params')
    assert.equal(spec.stages.again.kind === 'map' && spec.stages.again.sideInput, 'doubled')
    const { buildGraph } = await import('../../../core/flow/graph.js')
    assert.ok(buildGraph(spec).upstream.get('doubled')?.has('params'))
  })

  it('warns about a cluster no stage uses', async () => {
    const { warnings } = await load(variant(f => { f.clusters.idle = { members: 3 } }))
    assert.deepEqual(warnings, ['cluster "idle" is not used by any stage'])
  })

  it('clusters have their own namespace: a stage may share a cluster\'s name', async () => {
    const { spec } = await load(variant(f => { f.clusters.doubled = { labels: ['x'] }; f.stages.doubled.cluster = 'doubled' }))
    assert.equal(spec.stages.doubled.cluster, 'doubled')
  })

  describe('rejects', () => {
    it('clusters that is not an object', async () => {
      await rejects(variant(f => { f.clusters = ['gpu'] }), 'clusters', 'an object of named clusters')
    })
    it('a bad cluster name', async () => {
      await rejects(variant(f => { f.clusters['my gpus'] = {} }), 'clusters."my gpus"', 'a cluster name')
    })
    it('an unknown cluster field, with a suggestion', async () => {
      await rejects(variant(f => { f.clusters.pair = { member: 2 } }), 'clusters.pair.member', 'did you mean "members"?', 'allowed fields: labels, members, description')
    })
    it('labels that are not an array', async () => {
      await rejects(variant(f => { f.clusters.gpu.labels = 'gpu' }), 'clusters.gpu.labels', 'an array of worker labels')
    })
    it('an empty label', async () => {
      await rejects(variant(f => { f.clusters.gpu.labels = ['gpu', ''] }), 'clusters.gpu.labels[1]', 'a worker label', 'empty string')
    })
    it('a label given twice', async () => {
      await rejects(variant(f => { f.clusters.gpu.labels = ['gpu', 'gpu'] }), 'clusters.gpu.labels[1]', 'not already listed')
    })
    it('a label longer than 64 characters', async () => {
      await rejects(variant(f => { f.clusters.gpu.labels = ['x'.repeat(65)] }), 'clusters.gpu.labels[0]', 'at most 64 characters')
    })
    it('members 0 or not an integer', async () => {
      await rejects(variant(f => { f.clusters.pair.members = 0 }), 'clusters.pair.members', 'a number of members from 1 to 4096', 'got 0')
      await rejects(variant(f => { f.clusters.pair.members = 1.5 }), 'clusters.pair.members', 'a number of members')
    })
    it('a stage pinned to an unknown cluster, with a suggestion', async () => {
      await rejects(variant(f => { f.stages.doubled.cluster = 'gpus' }), 'stages.doubled.cluster', 'one of the clusters declared in "clusters" (gpu, pair)', 'did you mean "gpu"?')
    })
    it('a stage pinned to a cluster when none is declared', async () => {
      await rejects(variant(f => { delete f.clusters; delete f.stages.again.cluster }), 'stages.doubled.cluster', 'the flow declares none')
    })
    it('broadcast without a cluster', async () => {
      await rejects(variant(f => { f.stages.doubled = { function: 'double', input: 'nums', broadcast: true } }), 'stages.doubled.broadcast', 'a stage with a "cluster"')
    })
    it('broadcast that is not a boolean', async () => {
      await rejects(variant(f => { f.stages.doubled.broadcast = 'yes' }), 'stages.doubled.broadcast', 'true or false', 'got the string "yes"')
    })
    it('broadcast on an aggregate stage', async () => {
      await rejects(variant(f => { f.stages.again = { type: 'aggregate', function: 'double', input: 'doubled', cluster: 'pair', broadcast: true } }),
        'stages.again.broadcast', 'a known field of an aggregate stage')
    })
    it('a broadcast stage inside a feedback loop', async () => {
      await rejects(variant(f => {
        f.stages.doubled = { function: 'double', input: ['nums', 'doubled.more'], outputs: ['more', 'out'], cluster: 'pair', broadcast: true }
      }), 'stages.doubled.broadcast', 'outside feedback loops')
    })
    it('partition without a cluster', async () => {
      await rejects(variant(f => { f.stages.doubled = { function: 'double', input: 'nums', partition: { by: 'value' } } }), 'stages.doubled.partition', 'a stage with a "cluster"')
    })
    it('partition together with broadcast', async () => {
      await rejects(variant(f => { f.stages.doubled.broadcast = true; f.stages.doubled.partition = { by: 'key' } }), 'stages.doubled.partition', 'not both')
    })
    it('partition by something else', async () => {
      await rejects(variant(f => { f.stages.doubled.partition = { by: 'hash' } }), 'stages.doubled.partition.by', '"key"', '"value"', 'got the string "hash"')
    })
    it('partition without "by", or with an unknown field', async () => {
      await rejects(variant(f => { f.stages.doubled.partition = {} }), 'stages.doubled.partition.by', 'a required field of a partition')
      await rejects(variant(f => { f.stages.doubled.partition = { by: 'key', buckets: 4 } }), 'stages.doubled.partition.buckets', 'allowed fields: by')
    })
    it('partition written as a string', async () => {
      await rejects(variant(f => { f.stages.doubled.partition = 'key' }), 'stages.doubled.partition', 'a partition: { "by": "key" }')
    })
    it('a sideInput naming no stream, with a suggestion', async () => {
      await rejects(variant(f => { f.sources.params = { type: 'values', values: [1] }; f.stages.doubled.sideInput = 'param' }), 'stages.doubled.sideInput', 'a known stream id', 'did you mean "params"?')
    })
    it('a sideInput that is also an input', async () => {
      await rejects(variant(f => { f.stages.again.sideInput = 'doubled' }), 'stages.again.sideInput', 'does not also read as "input"')
    })
    it('a sideInput written by the stage itself or downstream of it', async () => {
      await rejects(variant(f => { f.stages.doubled.sideInput = 'doubled'; f.stages.again.input = 'nums' }), 'stages.doubled.sideInput', 'by the stage itself')
      await rejects(variant(f => { f.stages.doubled.sideInput = 'again' }), 'stages.doubled.sideInput', 'downstream of it')
    })
    it('a sideInput on an aggregate stage, or not a string', async () => {
      await rejects(variant(f => { f.stages.again = { type: 'aggregate', function: 'double', input: 'doubled', sideInput: 'nums' } }), 'stages.again.sideInput', 'a known field of an aggregate stage')
      await rejects(variant(f => { f.stages.doubled.sideInput = 3 }), 'stages.doubled.sideInput', 'a stream id')
    })
    it('a source read only as a side input is read', async () => {
      const { spec } = await load(variant(f => { f.sources.params = { type: 'values', values: [1] }; f.stages.doubled.sideInput = 'params' }))
      assert.ok('params' in spec.sources)
    })
    it('a cluster reference that is not a name', async () => {
      await rejects(variant(f => { f.stages.doubled.cluster = ['gpu'] }), 'stages.doubled.cluster', 'the name of a cluster')
    })
  })
})
