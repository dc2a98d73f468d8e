/**
 * The in-process loop as a process of its own (argv: wasm path, export, start, end): W3 starts two at once,
 * each on half the jobs, to measure how much parallel speed this machine gives right now (other work on it,
 * shared cores). Prints one JSON line: { jobs, elapsedMs, sum }.
 */
import { readFile } from 'node:fs/promises'
import { compileModule, FunctionInstance } from '../../core/abi/host.js'
import { runLoop, range } from './loop.js'

const [wasmPath, exportName, start, end] = process.argv.slice(2)
const compiled = await compileModule(new Uint8Array(await readFile(wasmPath)))
const instance = await FunctionInstance.instantiate(compiled.module, compiled.memory)
const r = runLoop(instance, exportName, range(Number(start), Number(end)))
process.stdout.write(`${JSON.stringify({ jobs: r.jobs, elapsedMs: r.elapsedMs, sum: r.outputs.reduce((a, b) => a + b, 0) })}\n`)
