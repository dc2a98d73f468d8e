/**
 * W10 word count (issue 15): a generated ~100 MB text (bench/lib/text.ts) through the wordcount example's
 * AssemblyScript functions: a `lines` source → `split` (a `[word, 1]` pair per word, and a per-line total) →
 * two aggregates `sum` → JSONL sinks, on a coordinator and 2 networked grid-workers × 1 thread. The lines go
 * out as item chunks and the workers combine their pairs per word before answering (README, "Chunks").
 * Against: one thread in this process reading the same file line by line, calling the same `split` on each
 * line and folding with the same `sum` (through the same combiner, batch by batch). Every count is checked.
 */
import { createReadStream } from 'node:fs'
import { copyFile, readFile, rm } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { expectEqual } from '../lib/check.js'
import { benchInstance, writeFlow } from '../lib/fixtures.js'
import { runNetworked } from '../lib/grid.js'
import { REPO_ROOT } from '../lib/proc.js'
import type { BenchContext, WorkloadResult } from '../lib/report.js'
import { figure, target } from '../lib/report.js'
import { ratio, summarize } from '../lib/stats.js'
import { writeText } from '../lib/text.js'
import type { GeneratedText } from '../lib/text.js'
import { decodeValue, encodeValue } from '../../core/codec.js'
import type { Emitted } from '../../core/abi/abi.js'
import type { FunctionInstance } from '../../core/abi/host.js'
import { combineOutputs, PackedCombiner } from '../../core/run/combiner.js'
import type { PackedCombineCall } from '../../core/run/combiner.js'
import { PackedScratch } from '../../core/run/packed-scratch.js'
import { unpackOutputs } from '../../core/protocol/packed-outputs.js'

const WORKERS = 2
export const W10_TARGET = 1.6
const WASM = 'wordcount.wasm'
/** Lines per batch of the in-process run: its outputs are combined per batch, as a chunk's are on a worker. */
const LOOP_BATCH = 4096
/** Partials the in-process run holds before folding them again. */
const PARTIALS_HELD = 1 << 18

export async function w10Wordcount (ctx: BenchContext): Promise<WorkloadResult> {
  const targetBytes = ctx.quick ? 200_000 : 100_000_000
  const wasmPath = join(REPO_ROOT, 'examples', 'wordcount', 'build', WASM)
  const wasm = new Uint8Array(await readFile(wasmPath))
  const flow = await writeFlow(ctx.dir, 'w10', ctx.wasm, {
    functions: { split: { wasm: WASM, export: 'split' }, sum: { wasm: WASM, export: 'sum' } },
    sources: { lines: { type: 'lines', path: 'text.txt' } },
    stages: {
      split: { function: 'split', input: 'lines', outputs: ['out', 'total'], timeoutMs: 600_000 },
      count: { type: 'aggregate', function: 'sum', input: 'split' },
      total: { type: 'aggregate', function: 'sum', input: 'split.total' }
    },
    sinks: { counts: { type: 'jsonl', input: 'count', path: 'counts.jsonl' }, words: { type: 'jsonl', input: 'total', path: 'total.jsonl' } }
  })
  await copyFile(wasmPath, join(flow.dir, WASM))
  const textPath = join(flow.dir, 'text.txt')
  const started = performance.now()
  const text = await writeText(textPath, targetBytes)
  ctx.log(`W10: generated ${(text.bytes / 1e6).toFixed(1)} MB, ${text.lines} lines, ${text.words} words, ${text.counts.size} distinct, in ${Math.round(performance.now() - started)} ms`)
  const instance = await benchInstance(wasm)

  const grid: number[] = []
  const loop: number[] = []
  const packedLoop: number[] = []
  const coordinatorCpu: number[] = []
  const workerCpu: number[] = []
  const notes: string[] = []
  for (let run = 1; run <= ctx.runs; run++) {
    const r = await runNetworked(ctx.env, { flow: flow.path, workers: WORKERS, threadsPerWorker: 1, cache: join(ctx.dir, 'cache'), timeoutMs: 900_000, tag: `w10r${run}` })
    await checkCounts('W10 grid', text, await jsonlPairs(join(flow.dir, 'counts.jsonl')), await jsonlPairs(join(flow.dir, 'total.jsonl')))
    grid.push(text.bytes / 1e6 / (r.elapsedMs / 1000))
    if (r.coordinatorCpuMs != null) coordinatorCpu.push(r.coordinatorCpuMs * 1000 / text.lines)
    if (r.workerCpuMs.length === WORKERS) workerCpu.push(r.workerCpuMs.reduce((a, b) => a + b, 0) * 1000 / text.lines)
    if (run === 1 && r.timing !== 'wallMs') notes.push('grid-coordinator has no --wait-workers: grid time runs from the first worker joining to the coordinator exit')
    for (const out of ['counts.jsonl', 'total.jsonl']) await rm(join(flow.dir, out), { force: true })

    const l = await inProcessPlain(instance, textPath)
    await checkCounts('W10 loop', text, l.counts, l.totals)
    loop.push(text.bytes / 1e6 / (l.elapsedMs / 1000))
    const p = await inProcessPacked(instance, textPath)
    await checkCounts('W10 packed loop', text, p.counts, p.totals)
    packedLoop.push(text.bytes / 1e6 / (p.elapsedMs / 1000))
    ctx.log(`W10 run ${run}/${ctx.runs}: grid ${grid[run - 1].toFixed(1)} MB/s (${Math.round(r.elapsedMs)} ms), in-process ${loop[run - 1].toFixed(1)} MB/s (${Math.round(l.elapsedMs)} ms), packed in-process ${packedLoop[run - 1].toFixed(1)} MB/s, coordinator ${coordinatorCpu.at(-1)?.toFixed(2) ?? '?'} µs/line, workers ${workerCpu.at(-1)?.toFixed(2) ?? '?'} µs/line`)
  }
  const g = summarize(grid)
  const toLoop = ratio(g, summarize(loop))
  const toPacked = ratio(g, summarize(packedLoop))
  return {
    id: 'W10',
    title: 'word count',
    params: { bytes: text.bytes, lines: text.lines, words: text.words, distinctWords: text.counts.size, workers: WORKERS, threadsPerWorker: 1 },
    figures: {
      grid: figure(g, 'MB/s', `${(text.bytes / 1e6).toFixed(1)} MB of lines, coordinator + ${WORKERS} grid-worker processes (1 thread each), item chunks combined on the workers`),
      loop: figure(summarize(loop), 'MB/s', 'the same split and sum over the same file, one thread, in process, through the per-call API (the target\'s baseline)'),
      packedLoop: figure(summarize(packedLoop), 'MB/s', 'the same, one thread, in process, on the workers\' own packed inner path (reference)'),
      ...(coordinatorCpu.length > 0 ? { coordinatorCpu: figure(summarize(coordinatorCpu), 'µs/line', 'coordinator process CPU time (user+system, start-up and sinks included) per line') } : {}),
      ...(workerCpu.length > 0 ? { workerCpu: figure(summarize(workerCpu), 'µs/line', `CPU time of the ${WORKERS} grid-worker processes together per line`) } : {})
    },
    ratios: {
      gridToLoop: { ...toLoop, description: 'grid / in-process run' },
      gridToPackedLoop: { ...toPacked, description: 'grid / in-process run on the workers\' packed inner path' }
    },
    targets: [target('W10', `grid ≥ ${W10_TARGET}× the in-process run (2 workers × 1 thread)`, `≥ ${W10_TARGET}`, toLoop.value, 'ratio', toLoop.value >= W10_TARGET)],
    notes
  }
}

interface InProcess {
  readonly elapsedMs: number
  readonly counts: Map<string, number>
  readonly totals: Map<string, number>
}

/**
 * One thread with the public per-call API, as a user's own loop would be: read the file, `split` each line
 * (FunctionInstance.call: an object per output), combine each batch's pairs with `sum` through the combiner
 * the workers use, and fold the partials again whenever many have gathered: as few `sum` calls as the grid.
 */
async function inProcessPlain (instance: FunctionInstance, path: string): Promise<InProcess> {
  const started = performance.now()
  const call = (fn: { export: string }, input: Uint8Array): readonly Emitted[] => instance.call(fn.export, input)
  const combiners = [{ port: 0, fn: { module: '', export: 'sum' } }, { port: 1, fn: { module: '', export: 'sum' } }]
  let partials: Emitted[] = []
  let outputs: Emitted[] = []
  let lines = 0
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    for (const o of instance.call('split', encodeValue(line))) outputs.push(o)
    if (++lines % LOOP_BATCH === 0) {
      for (const o of await combineOutputs(outputs, combiners, call)) partials.push(o)
      outputs = []
      if (partials.length >= PARTIALS_HELD) partials = [...await combineOutputs(partials, combiners, call)]
    }
  }
  const counts = new Map<string, number>()
  const totals = new Map<string, number>()
  for (const o of await combineOutputs([...partials, ...outputs], combiners, call)) {
    const [key, value] = decodeValue(o.bytes) as [string, number]
    ;(o.port === 0 ? counts : totals).set(key, value)
  }
  return { elapsedMs: performance.now() - started, counts, totals }
}

/**
 * The same on the workers' own inner path (outputs packed as emitted, the packed combiner, synchronous
 * calls): the fastest these functions run in one thread here, reported beside the target's baseline.
 */
async function inProcessPacked (instance: FunctionInstance, path: string): Promise<InProcess> {
  const started = performance.now()
  const split = instance.exportFn('split')
  const sum = instance.exportFn('sum')
  const combine: PackedCombineCall = (_c, input, len, out) => { instance.callPacked(sum, input, 0, len, out) }
  const ports = [0, 1]
  const combiner = new PackedCombiner()
  const mapped = new PackedScratch()
  let partials = new PackedScratch()
  let spare = new PackedScratch()
  let lines = 0
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    const bytes = encodeValue(line)
    instance.callPacked(split, bytes, 0, bytes.length, mapped)
    if (++lines % LOOP_BATCH === 0) {
      combiner.combine(mapped.bytes, mapped.length, ports, combine, partials)
      mapped.reset()
      if (partials.count >= PARTIALS_HELD) {
        spare.reset()
        combiner.combine(partials.bytes, partials.length, ports, combine, spare)
        ;[partials, spare] = [spare, partials]
      }
    }
  }
  // the last batch's pairs join the partials for the final fold
  for (let pos = 0; pos < mapped.length; pos = mapped.next(pos)) partials.append(mapped.port(pos), mapped.bytes, mapped.start(pos), mapped.size(pos))
  spare.reset()
  combiner.combine(partials.bytes, partials.length, ports, combine, spare)
  const counts = new Map<string, number>()
  const totals = new Map<string, number>()
  for (const o of unpackOutputs(spare.bytes.slice(0, spare.length))) {
    const [key, value] = decodeValue(o.bytes) as [string, number]
    ;(o.port === 0 ? counts : totals).set(key, value)
  }
  return { elapsedMs: performance.now() - started, counts, totals }
}

async function jsonlPairs (path: string): Promise<Map<string, number>> {
  const text = await readFile(path, 'utf8')
  return new Map(text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as [string, number]))
}

async function checkCounts (what: string, text: GeneratedText, counts: Map<string, number>, totals: Map<string, number>): Promise<void> {
  expectEqual(`${what} distinct words`, counts.size, text.counts.size)
  for (const [word, n] of text.counts) if (counts.get(word) !== n) expectEqual(`${what} count of "${word}"`, counts.get(word), n)
  expectEqual(`${what} total`, totals.get('words'), text.words)
}
