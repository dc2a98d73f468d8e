/**
 * The bench's WASM functions and flows: bench/fixtures/bench.wat is assembled with the wabt JS API at bench
 * time, written next to generated flow files in a scratch folder, and compiled once more in this process for
 * the in-process baselines.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { compileModule, FunctionInstance } from '../../core/abi/host.js'
import { REPO_ROOT } from './proc.js'

const require = createRequire(import.meta.url)
type Wabt = Awaited<ReturnType<typeof import('wabt')>>

export const WASM_FILE = 'bench.wasm'

export async function assembleBenchWat (): Promise<Uint8Array> {
  const wabt = await (require('wabt') as () => Promise<Wabt>)()
  const path = join(REPO_ROOT, 'bench', 'fixtures', 'bench.wat')
  const module = wabt.parseWat(path, await readFile(path, 'utf8'))
  try {
    module.resolveNames()
    module.validate()
    return new Uint8Array(module.toBinary({}).buffer)
  } finally {
    module.destroy()
  }
}

/** A fresh instance of the bench module in this process (the in-process baselines call it directly). */
export async function benchInstance (bytes: Uint8Array): Promise<FunctionInstance> {
  const compiled = await compileModule(bytes)
  return await FunctionInstance.instantiate(compiled.module, compiled.memory)
}

/** The bench module's functions computed in JavaScript: the check of every workload's output. */
export const expected = {
  double: (n: number): number => 2 * n,
  burn: (n: number): number => {
    let x = n >>> 0
    for (let i = 0; i < n; i++) x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    return x
  }
}

export interface FlowFile {
  readonly dir: string
  readonly path: string
}

/**
 * Writes `<dir>/<name>/flow.json` (with bench.wasm beside it) and returns its path. `stage` is the one map
 * stage `run` over the source; `sink` says where its output goes.
 */
export async function writeFlow (root: string, name: string, wasm: Uint8Array, flow: Record<string, unknown>): Promise<FlowFile> {
  const dir = join(root, name)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, WASM_FILE), wasm)
  const path = join(dir, 'flow.json')
  await writeFile(path, JSON.stringify({ name, ...flow }, null, 2))
  return { dir, path }
}

/** source range [start, end) → one stage calling `fn` → a sink (`jsonl` to out.jsonl, or `stdout`). */
export async function writeMapFlow (root: string, name: string, wasm: Uint8Array, fn: 'double' | 'burn', range: { start: number, end: number }, sink: 'jsonl' | 'stdout'): Promise<FlowFile> {
  return await writeFlow(root, name, wasm, {
    functions: { [fn]: { wasm: WASM_FILE, export: fn } },
    sources: { items: { type: 'range', start: range.start, end: range.end } },
    stages: { run: { function: fn, input: 'items', timeoutMs: 600_000 } },
    sinks: { out: sink === 'jsonl' ? { type: 'jsonl', input: 'run', path: 'out.jsonl' } : { type: 'stdout', input: 'run' } }
  })
}
