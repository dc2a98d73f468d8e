/**
 * Sources of type "client" (items fed from a program's code through the edge-grid API): validated like the
 * others, with `index` the only field beside `type` and `description`.
 */
import { before, it } from 'node:test'
import assert from 'node:assert/strict'
import { loadFlow } from '../../../core/flow/validate.js'
import { assertRejected, memoryFiles, standardTree } from './helpers.js'
import type { Flow } from './helpers.js'

let tree: Record<string, Uint8Array | string>
before(async () => { tree = await standardTree() })

function flow (source: Record<string, unknown>): Flow {
  return {
    name: 'fed',
    functions: { double: { wasm: 'fns.wasm', export: 'double' } },
    sources: { nums: source },
    stages: { doubled: { function: 'double', input: 'nums' } },
    sinks: { print: { type: 'stdout', input: 'doubled' } }
  }
}

it('a client source is valid with or without index, and needs no file', async () => {
  const plain = await loadFlow('/flows/flow.json', JSON.stringify(flow({ type: 'client' })), memoryFiles(tree))
  assert.deepEqual(plain.spec.sources.nums, { kind: 'client', name: 'nums' })
  const indexed = await loadFlow('/flows/flow.json', JSON.stringify(flow({ type: 'client', index: true })), memoryFiles(tree))
  assert.deepEqual(indexed.spec.sources.nums, { kind: 'client', name: 'nums', index: true })
})

it('a client source with a non-boolean index or a path is rejected at its JSON path', async () => {
  await assertRejected(tree, flow({ type: 'client', index: 'yes' }), 'sources.nums.index', 'true or false')
  await assertRejected(tree, flow({ type: 'client', path: 'x.txt' }), 'sources.nums.path')
})
