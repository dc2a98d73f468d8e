/**
 * W1 cheap work: a trivial map (`double`) over a 10M-item range to a JSONL sink, through a coordinator and 2
 * networked grid-worker processes (one thread each), against the same function in a plain in-process loop
 * (issue 15: the grid must beat the loop, ≥ 1.6× with 2 workers). The range is handed out as chunks that the
 * workers expand (core/run/chunks.ts). Also measured: the JSONL sink alone (its own write rate, the limit a
 * grid this fast runs into), the coordinator's CPU per item, and, for reference, the raw-TCP ceiling of a
 * per-item dispatcher (100k items). Runs are interleaved so that the machine's drift hits all of them.
 * The chained variant (`gridChained`): the same range through two `double` stages in a row (→ 4n), which run
 * chained (core/run/chain-plan.ts: each chunk through both on one worker), against a loop calling both.
 */
import { join } from 'node:path'
import { rm } from 'node:fs/promises'
import { runLoop, runPackedLoop, range } from '../baselines/loop.js'
import { runRawTcp } from '../baselines/raw-tcp.js'
import { expectEqual, jsonlNumbers } from '../lib/check.js'
import { WASM_FILE, writeFlow, writeMapFlow } from '../lib/fixtures.js'
import { runNetworked } from '../lib/grid.js'
import type { BenchContext, WorkloadResult } from '../lib/report.js'
import { figure, target } from '../lib/report.js'
import { ratio, summarize } from '../lib/stats.js'
import { decodeValue, encodeValue } from '../../core/codec.js'
import type { FunctionInstance } from '../../core/abi/host.js'
import { jsonlSink } from '../../node-peer/sinks/jsonl-sink.js'

const TARGET_WORKERS = 2
export const W1_TARGET = 1.6
export const W1_CPU_TARGET_US = 1
const RAW_TCP_ITEMS = 100_000
/** Items per sink write in the sink-alone measure (FlowRun writes whatever gathered, often this many). */
const SINK_BATCH = 16384

export async function w1Tiny (ctx: BenchContext): Promise<WorkloadResult> {
  const items = ctx.quick ? 2000 : 10_000_000
  // --workers N: the same on N grid-workers, for machines with the cores (the target is set for 2)
  const WORKERS = ctx.workers ?? TARGET_WORKERS
  const flow = await writeMapFlow(ctx.dir, 'w1', ctx.wasm, 'double', { start: 0, end: items }, 'jsonl')
  const expectedSum = items * (items - 1)
  const chained = await writeFlow(ctx.dir, 'w1-chained', ctx.wasm, {
    functions: { double: { wasm: WASM_FILE, export: 'double' } },
    sources: { items: { type: 'range', start: 0, end: items } },
    stages: { first: { function: 'double', input: 'items', timeoutMs: 600_000 }, second: { function: 'double', input: 'first', timeoutMs: 600_000 } },
    sinks: { out: { type: 'jsonl', input: 'second', path: 'out.jsonl' } }
  })
  const gridChained: number[] = []
  const loopChained: number[] = []
  const coordinatorCpuChained: number[] = []
  const grid: number[] = []
  const ceiling: number[] = []
  const loop: number[] = []
  const packedLoop: number[] = []
  const sink: number[] = []
  const coordinatorCpu: number[] = []
  const workerCpu: number[] = []
  const notes: string[] = []
  for (let run = 1; run <= ctx.runs; run++) {
    const rawItems = Math.min(items, RAW_TCP_ITEMS)
    const raw = await runRawTcp({ wasm: join(flow.dir, WASM_FILE), exportName: 'double', jobs: rawItems, workers: WORKERS, timeoutMs: 120_000 })
    expectEqual('W1 raw-TCP sum', raw.sum, rawItems * (rawItems - 1))
    ceiling.push(raw.jobsPerSec)

    const r = await runNetworked(ctx.env, { flow: flow.path, workers: WORKERS, threadsPerWorker: 1, cache: join(ctx.dir, 'cache'), timeoutMs: 600_000, tag: `w1r${run}` })
    const out = await jsonlNumbers(join(flow.dir, 'out.jsonl'))
    expectEqual('W1 grid outputs', out.count, items)
    expectEqual('W1 grid sum', out.sum, expectedSum)
    grid.push(items / (r.elapsedMs / 1000))
    if (r.coordinatorCpuMs != null) coordinatorCpu.push(r.coordinatorCpuMs * 1000 / items)
    if (r.workerCpuMs.length === WORKERS) workerCpu.push(r.workerCpuMs.reduce((a, b) => a + b, 0) * 1000 / items)
    if (run === 1 && r.timing !== 'wallMs') notes.push('grid-coordinator has no --wait-workers: grid time runs from the first worker joining to the coordinator exit')
    await rm(join(flow.dir, 'out.jsonl'), { force: true })

    const l = runLoop(ctx.instance, 'double', range(0, items))
    expectEqual('W1 loop sum', l.outputs.reduce((a, b) => a + b, 0), expectedSum)
    loop.push(l.jobsPerSec)
    const p = runPackedLoop(ctx.instance, 'double', 0, items)
    expectEqual('W1 packed loop sum', p.sum, expectedSum)
    packedLoop.push(p.itemsPerSec)

    const c = await runNetworked(ctx.env, { flow: chained.path, workers: WORKERS, threadsPerWorker: 1, cache: join(ctx.dir, 'cache'), timeoutMs: 600_000, tag: `w1c${run}` })
    const chainedOut = await jsonlNumbers(join(chained.dir, 'out.jsonl'))
    expectEqual('W1 chained outputs', chainedOut.count, items)
    expectEqual('W1 chained sum', chainedOut.sum, 2 * expectedSum)
    expectEqual('W1 chained stages', JSON.stringify(c.report.chains), JSON.stringify([['first', 'second']]))
    gridChained.push(items / (c.elapsedMs / 1000))
    if (c.coordinatorCpuMs != null) coordinatorCpuChained.push(c.coordinatorCpuMs * 1000 / items)
    await rm(join(chained.dir, 'out.jsonl'), { force: true })
    const lc = chainLoop(ctx.instance, items)
    expectEqual('W1 chained loop sum', lc.sum, 2 * expectedSum)
    loopChained.push(lc.itemsPerSec)

    const s = await sinkAlone(join(ctx.dir, 'w1-sink.jsonl'), items)
    sink.push(s)
    ctx.log(`W1 run ${run}/${ctx.runs}: grid ${Math.round(grid[run - 1])} items/s, loop ${Math.round(l.jobsPerSec)}/s, packed loop ${Math.round(p.itemsPerSec)}/s, sink alone ${Math.round(s)}/s, raw TCP ${Math.round(raw.jobsPerSec)}/s, coordinator ${coordinatorCpu.at(-1)?.toFixed(2) ?? '?'} µs/item; chained: grid ${Math.round(gridChained[run - 1])} items/s, loop ${Math.round(lc.itemsPerSec)}/s, coordinator ${coordinatorCpuChained.at(-1)?.toFixed(2) ?? '?'} µs/item`)
  }
  const g = summarize(grid)
  const l = summarize(loop)
  const toLoop = ratio(g, l)
  const cpu = summarize(coordinatorCpu)
  const gc = summarize(gridChained)
  const chainedToLoop = ratio(gc, summarize(loopChained))
  return {
    id: 'W1',
    title: 'cheap work',
    params: { items, function: 'double', workers: WORKERS, threadsPerWorker: 1, sink: 'jsonl', rawTcpItems: Math.min(items, RAW_TCP_ITEMS) },
    figures: {
      grid: figure(g, 'items/s', `${items} items, coordinator + ${WORKERS} grid-worker processes (1 thread each), jsonl sink`),
      loop: figure(l, 'items/s', 'same function in a plain loop, one thread, in process, through the per-call API (the target\'s baseline)'),
      packedLoop: figure(summarize(packedLoop), 'items/s', 'same function, one thread, in process, on the workers\' own packed inner path, calls only (reference)'),
      sink: figure(summarize(sink), 'items/s', `the jsonl sink alone: ${items} encoded outputs written in batches of ${SINK_BATCH}`),
      rawTcp: figure(summarize(ceiling), 'jobs/s', `raw-TCP per-item dispatcher + ${WORKERS} worker processes, ${Math.min(items, RAW_TCP_ITEMS)} items (reference)`),
      // CPU time per item is far less sensitive than wall time to other work on the machine
      ...(coordinatorCpu.length > 0 ? { coordinatorCpu: figure(cpu, 'µs/item', 'coordinator process CPU time (user+system, start-up and sink included) per item') } : {}),
      gridChained: figure(gc, 'items/s', `${items} items through two chained double stages (first → second), same grid, jsonl sink`),
      loopChained: figure(summarize(loopChained), 'items/s', 'both functions in a plain loop (double, then double on its output), one thread, in process'),
      ...(coordinatorCpuChained.length > 0 ? { coordinatorCpuChained: figure(summarize(coordinatorCpuChained), 'µs/item', 'coordinator process CPU time per item, chained variant') } : {}),
      ...(workerCpu.length > 0 ? { workerCpu: figure(summarize(workerCpu), 'µs/item', `CPU time of the ${WORKERS} grid-worker processes together (threads and start-up included) per item`) } : {})
    },
    ratios: {
      gridToLoop: { ...toLoop, description: 'grid / in-process loop' },
      gridToSink: { ...ratio(g, summarize(sink)), description: 'grid / the sink alone' },
      gridToPackedLoop: { ...ratio(g, summarize(packedLoop)), description: 'grid / the in-process loop on the workers\' packed inner path' },
      chainedToLoop: { ...chainedToLoop, description: 'chained grid / the in-process loop of both functions' }
    },
    targets: [
      target('W1', `grid ≥ ${W1_TARGET}× the in-process loop (${WORKERS} workers × 1 thread; the target is set for ${TARGET_WORKERS})`, `≥ ${W1_TARGET}`, toLoop.value, 'ratio', toLoop.value >= W1_TARGET),
      ...(coordinatorCpu.length > 0 ? [target('W1', 'coordinator CPU per item', `≤ ${W1_CPU_TARGET_US} µs`, cpu.median, 'µs', cpu.median <= W1_CPU_TARGET_US)] : [])
    ],
    notes
  }
}

/** The chained variant's baseline: double, then double on its output bytes, item by item in one loop. */
function chainLoop (instance: FunctionInstance, items: number): { sum: number, itemsPerSec: number } {
  let sum = 0
  const started = performance.now()
  for (let i = 0; i < items; i++) {
    const first = instance.call('double', encodeValue(i))
    sum += decodeValue(instance.call('double', first[0].bytes)[0].bytes) as number
  }
  return { sum, itemsPerSec: items / ((performance.now() - started) / 1000) }
}

/** Items per second the jsonl sink writes on its own (outputs encoded beforehand, as they arrive from workers). */
async function sinkAlone (path: string, items: number): Promise<number> {
  const writer = await jsonlSink('w1-sink', path)
  let elapsed = 0
  for (let at = 0; at < items; at += SINK_BATCH) {
    const batch: Uint8Array[] = []
    for (let i = at; i < Math.min(items, at + SINK_BATCH); i++) batch.push(encodeValue(2 * i))
    const started = performance.now()
    await writer.write(batch)
    elapsed += performance.now() - started
  }
  const started = performance.now()
  await writer.close(true)
  elapsed += performance.now() - started
  await rm(path + '.partial', { force: true })
  await rm(path, { force: true })
  return items / (elapsed / 1000)
}
