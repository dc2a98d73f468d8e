/**
 * Per-call cost of a WASI command as a function (core/abi/README.md, "WASI commands"): one call = a fresh
 * instance + `_start`, or a reused instance with its memory restored (core/abi/wasi/reuse.ts). Measures, in this thread, CPU time (process.cpuUsage, so other load on the machine
 * does not count) and wall time per call for: a C `main` that returns at once, the wordcount-c `split`
 * on one line, the Rust collatz-rust step, and, for scale, an ABI v1 call on a long-lived instance.
 *
 *   node dist/bench/wasi-call-cost.js [calls]       (after npm run build:wasm)
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_LIMITS } from '../core/abi/abi.js'
import { compileModule, FunctionInstance } from '../core/abi/host.js'
import { compileWasiCommand, runWasiCommand, WasiRunner } from '../core/abi/wasi/command.js'
import { encodeValue } from '../core/codec.js'
import { REPO_ROOT as ROOT } from '../examples/build-examples.js'
import { compileC } from '../examples/build-native.js'

async function measure (label: string, calls: number, call: () => Promise<unknown> | unknown): Promise<void> {
  for (let i = 0; i < Math.min(200, calls); i++) await call() // warm-up: tier-up, caches
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (let i = 0; i < calls; i++) await call()
  const wall = (performance.now() - started) * 1000 / calls
  const used = process.cpuUsage(cpu)
  console.log(`${label.padEnd(48)} ${((used.user + used.system) / calls).toFixed(1).padStart(8)} µs CPU  ${wall.toFixed(1).padStart(8)} µs wall`)
}

const calls = Number(process.argv[2] ?? 2000)
const dir = await mkdtemp(join(tmpdir(), 'grid-wasi-bench-'))
await writeFile(join(dir, 'nop.c'), 'int main(void) { return 0; }\n')
const nop = await compileWasiCommand(await compileC(join(dir, 'nop.c'), join(dir, 'nop.wasm')), DEFAULT_LIMITS.maxMemoryPages)
const split = await compileWasiCommand(new Uint8Array(await readFile(join(ROOT, 'examples/wordcount-c/build/split.wasm'))), DEFAULT_LIMITS.maxMemoryPages)
const line = encodeValue('The river begins as a thin cold thread high in the hills,')
const as = await compileModule(new Uint8Array(await readFile(join(ROOT, 'examples/wordcount/build/wordcount.wasm'))))
const instance = await FunctionInstance.instantiate(as.module, as.memory)

console.log(`${calls} calls each, Node ${process.version}`)
await measure('WASI, C main returning 0 (fresh instance)', calls, async () => await runWasiCommand(nop, 'json', encodeValue(1), DEFAULT_LIMITS))
await measure('WASI, wordcount-c split of one line', calls, async () => await runWasiCommand(split, 'json', line, DEFAULT_LIMITS))
const collatz = await compileWasiCommand(new Uint8Array(await readFile(join(ROOT, 'examples/collatz-rust/build/collatz.wasm'))), DEFAULT_LIMITS.maxMemoryPages)
await measure('WASI, Rust collatz-rust steps(27) (fresh instance)', calls, async () => await runWasiCommand(collatz, 'json', encodeValue(27), DEFAULT_LIMITS))
const collatzRunner = new WasiRunner(collatz)
await measure('WASI, Rust collatz-rust steps(27) (reused instance)', calls, () => collatzRunner.run('json', encodeValue(27), DEFAULT_LIMITS))
const nopRunner = new WasiRunner(nop)
const splitRunner = new WasiRunner(split)
await measure('WASI, C main returning 0 (reused instance)', calls, () => nopRunner.run('json', encodeValue(1), DEFAULT_LIMITS))
await measure('WASI, wordcount-c split (reused instance)', calls, () => splitRunner.run('json', line, DEFAULT_LIMITS))
await measure('instantiation alone (C nop module)', calls, async () => await WebAssembly.instantiate(nop.module, { wasi_snapshot_preview1: new Proxy({}, { get: () => () => 0 }) }))
await measure('ABI v1, AssemblyScript split of one line', calls * 10, () => instance.call('split', line))
