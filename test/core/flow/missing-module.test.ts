/**
 * The hint of a missing .wasm file (core/flow/missing-module.ts) on its own: where sources are looked for,
 * either path separator, and a file lookup that fails (the hint falls back to the generic one, never throws).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { notBuiltHint, sourceCandidates } from '../../../core/flow/missing-module.js'

describe('missing module hint', () => {
  it('looks next to the module, in assembly/, then one folder up, closest first', () => {
    assert.deepEqual(sourceCandidates('/p/build/m.wasm'), [
      '/p/build/m.ts', '/p/build/m.wat', '/p/build/assembly/m.ts',
      '/p/m.ts', '/p/m.wat', '/p/assembly/m.ts'
    ])
  })

  it('keeps Windows separators', () => {
    assert.deepEqual(sourceCandidates('C:\\p\\build\\m.wasm').slice(3), ['C:\\p\\m.ts', 'C:\\p\\m.wat', 'C:\\p\\assembly\\m.ts'])
  })

  it('a module in a top folder looks there and at the root, no further', () => {
    assert.deepEqual(sourceCandidates('/m.wasm'), ['/m.ts', '/m.wat', '/assembly/m.ts'])
    assert.deepEqual(sourceCandidates('/a/m.wasm'), ['/a/m.ts', '/a/m.wat', '/a/assembly/m.ts'])
    assert.deepEqual(sourceCandidates('m.wasm'), [])
  })

  it('a failing lookup gives the generic hint', async () => {
    const hint = await notBuiltHint('/p/build/m.wasm', { exists: async () => { throw new Error('EACCES') } })
    assert.equal(hint, '; if it is not built yet, build it from its source with `npx --no-install grid-build <source>.ts -o /p/build/m.wasm` (the repository\'s examples: `npm run build:wasm`)')
  })

  it('examples/<name>/build/ outside the repository (no examples/build-examples.ts) is not called an example', async () => {
    const files = new Set(['/copy/examples/x/assembly/m.ts'])
    const hint = await notBuiltHint('/copy/examples/x/build/m.wasm', { exists: async p => files.has(p) })
    assert.match(hint, /grid-build \/copy\/examples\/x\/assembly\/m\.ts -o \/copy\/examples\/x\/build\/m\.wasm/)
    assert.doesNotMatch(hint, /npm run build:wasm/)
  })
})
