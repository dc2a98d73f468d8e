/**
 * Shared by the flow tests: fixture locations, tiny wasm modules built from WAT with wabt, and an
 * in-memory FlowFiles (the core validator takes file access as a parameter; the Node one is tested in
 * test/node-peer/flow-files.test.ts).
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import wabtInit from 'wabt'
import assert from 'node:assert/strict'
import { FlowValidationError } from '../../../core/errors.js'
import { loadFlow } from '../../../core/flow/validate.js'
import type { FlowFiles } from '../../../core/flow/validate.js'

/** test/fixtures/flows/ in the source tree (tests run from dist/, fixtures are not copied). */
export const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/flows/', import.meta.url))

const built = new Map<string, Uint8Array>()

/** Compiles test/fixtures/flows/wasm/<name>.wat to wasm bytes (cached). */
export async function watFixture (name: string): Promise<Uint8Array> {
  const cached = built.get(name)
  if (cached !== undefined) return cached
  const text = await readFile(`${FIXTURES}wasm/${name}.wat`, 'utf8')
  const wabt = await wabtInit()
  const module = wabt.parseWat(`${name}.wat`, text)
  try {
    const bytes = new Uint8Array(module.toBinary({}).buffer)
    built.set(name, bytes)
    return bytes
  } finally {
    module.destroy()
  }
}

/** POSIX-style path join and normalisation, enough for a virtual file tree. */
function normalize (path: string): string {
  const out: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') out.pop()
    else out.push(part)
  }
  return `/${out.join('/')}`
}

export interface MemoryFiles extends FlowFiles {
  /** Every path read or tested, in order. */
  readonly accessed: string[]
}

/** FlowFiles over a virtual tree of absolute paths → contents. */
export function memoryFiles (tree: Record<string, Uint8Array | string>): MemoryFiles {
  const accessed: string[] = []
  const encoder = new TextEncoder()
  return {
    accessed,
    resolve: (flowFile, relative) => relative.startsWith('/') ? normalize(relative) : normalize(`${flowFile}/../${relative}`),
    async read (path) {
      accessed.push(path)
      const content = tree[path]
      return typeof content === 'string' ? encoder.encode(content) : content
    },
    async exists (path) {
      accessed.push(path)
      return path in tree
    }
  }
}

/** A virtual tree with the standard modules at /flows/fns.wasm, /flows/abort.wat → .wasm, /flows/no-marker.wasm. */
export async function standardTree (extra: Record<string, Uint8Array | string> = {}): Promise<Record<string, Uint8Array | string>> {
  return {
    '/flows/fns.wasm': await watFixture('fns'),
    '/flows/abort.wasm': await watFixture('abort'),
    '/flows/no-marker.wasm': await watFixture('no-marker'),
    '/flows/words.txt': 'alpha\nbeta\n',
    '/flows/records.jsonl': '{"a":1}\n',
    ...extra
  }
}

/** flow.json as users write it: a loose type on purpose, tests mutate it freely. */
export type Flow = Record<string, any>

/** A fresh `base()` changed by `change`. */
export function variant (base: () => Flow, change: (flow: Flow) => void): Flow {
  const flow = base()
  change(flow)
  return flow
}

/** Loads a flow (an object, or JSON text as written) as /flows/flow.json, with `tree` as its files. */
export async function loadFromTree (tree: Record<string, Uint8Array | string>, flow: Flow | string): ReturnType<typeof loadFlow> {
  return await loadFlow('/flows/flow.json', typeof flow === 'string' ? flow : JSON.stringify(flow, null, 2), memoryFiles(tree))
}

/** Asserts the flow is refused with a FlowValidationError at `path` whose message includes every part. */
export async function assertRejected (tree: Record<string, Uint8Array | string>, flow: Flow | string, path: string, ...parts: string[]): Promise<void> {
  await assert.rejects(loadFromTree(tree, flow), (err: unknown) => {
    assert.ok(err instanceof FlowValidationError, `expected FlowValidationError, got ${String(err)}`)
    assert.equal(err.name, 'FlowValidationError')
    assert.equal(err.file, '/flows/flow.json')
    assert.equal(err.path, path, err.message)
    for (const part of parts) assert.ok(err.expected.includes(part), `message "${err.expected}" should include "${part}"`)
    assert.ok(err.message.startsWith(`/flows/flow.json: ${path === '' ? '(top level)' : path}: `), err.message)
    return true
  })
}
