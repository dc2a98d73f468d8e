/**
 * The Node file access of flow validation, on a real temporary folder: path resolution, reads of missing
 * files and folders, readFlowFile, and whole flows (the valid fixtures and the examples) loaded from disk.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FlowValidationError } from '../../core/errors.js'
import { loadFlow } from '../../core/flow/validate.js'
import { nodeFlowFiles, readFlowFile } from '../../node-peer/flow-files.js'
import { FIXTURES, watFixture } from '../core/flow/helpers.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
let dir: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-grid-flow-files-'))
  for (const f of await readdir(`${FIXTURES}valid`)) await copyFile(`${FIXTURES}valid/${f}`, join(dir, f))
  await writeFile(join(dir, 'fns.wasm'), await watFixture('fns'))
  await mkdir(join(dir, 'a-folder'))
})
after(async () => { await rm(dir, { recursive: true, force: true }) })

describe('nodeFlowFiles', () => {
  it('resolves against the flow file\'s folder; absolute paths stay', () => {
    assert.equal(nodeFlowFiles.resolve('/w/flows/f/flow.json', 'build/m.wasm'), '/w/flows/f/build/m.wasm')
    assert.equal(nodeFlowFiles.resolve('/w/flows/f/flow.json', '../data/x.txt'), '/w/flows/data/x.txt')
    assert.equal(nodeFlowFiles.resolve('/w/flows/f/flow.json', '/abs/x.txt'), '/abs/x.txt')
  })

  it('reads files; a missing file or a folder reads as undefined', async () => {
    assert.equal(new TextDecoder().decode(await nodeFlowFiles.read(join(dir, 'words.txt'))), 'alpha\nbeta\ngamma\n')
    assert.equal(await nodeFlowFiles.read(join(dir, 'missing.txt')), undefined)
    assert.equal(await nodeFlowFiles.read(join(dir, 'a-folder')), undefined)
  })

  it('exists only for regular files', async () => {
    assert.equal(await nodeFlowFiles.exists(join(dir, 'words.txt')), true)
    assert.equal(await nodeFlowFiles.exists(join(dir, 'missing.txt')), false)
    assert.equal(await nodeFlowFiles.exists(join(dir, 'a-folder')), false)
  })
})

describe('readFlowFile', () => {
  it('returns the absolute path and the text', async () => {
    const { file, text } = await readFlowFile(join(dir, 'map.json'))
    assert.equal(file, join(dir, 'map.json'))
    assert.match(text, /"name": "map"/)
  })

  for (const what of ['missing.json', 'a-folder']) {
    it(`rejects ${what === 'a-folder' ? 'a folder' : 'a missing file'} with FlowValidationError(file, '', 'a readable file')`, async () => {
      await assert.rejects(readFlowFile(join(dir, what)), (err: unknown) => {
        assert.ok(err instanceof FlowValidationError)
        assert.equal(err.file, join(dir, what))
        assert.equal(err.path, '')
        assert.equal(err.expected, 'a readable file')
        return true
      })
    })
  }
})

describe('loadFlow with nodeFlowFiles', () => {
  it('loads every valid fixture from disk, with paths resolved in its folder', async () => {
    const names = (await readdir(dir)).filter(f => f.endsWith('.json')).sort()
    assert.ok(names.length >= 6)
    for (const name of names) {
      const { file, text } = await readFlowFile(join(dir, name))
      const { spec, modules } = await loadFlow(file, text, nodeFlowFiles)
      for (const fn of Object.values(spec.functions)) assert.equal(fn.wasm, join(dir, 'fns.wasm'), name)
      assert.ok(modules.size > 0, name)
    }
  })

  it('names a data file that is missing on disk', async () => {
    const flow = { name: 'x', sources: { w: { type: 'lines', path: 'data/none.txt' } }, sinks: { p: { type: 'stdout', input: 'w' } } }
    await writeFile(join(dir, 'missing-data.json'), JSON.stringify(flow))
    const { file, text } = await readFlowFile(join(dir, 'missing-data.json'))
    await assert.rejects(loadFlow(file, text, nodeFlowFiles), { name: 'FlowValidationError', path: 'sources.w.path' })
    await rm(join(dir, 'missing-data.json'))
  })

  it('loads every examples/*/flow.json', async () => {
    let examples: string[] = []
    try {
      examples = (await readdir(join(ROOT, 'examples'), { withFileTypes: true })).filter(d => d.isDirectory()).map(d => d.name).sort()
    } catch {}
    for (const example of examples) {
      let flow: { file: string, text: string }
      try {
        flow = await readFlowFile(join(ROOT, 'examples', example, 'flow.json'))
      } catch {
        continue // a folder without a flow (e.g. shared sources)
      }
      // `npm test` builds the examples first (pretest), so every example must load
      await loadFlow(flow.file, flow.text, nodeFlowFiles)
    }
  })
})
