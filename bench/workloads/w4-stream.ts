/**
 * W4 streaming memory: a 10-million-item range source through `double` (one networked grid-worker, 1 thread)
 * to a jsonl sink. Peak RSS of the coordinator and of the worker process (getrusage maxrss, worker threads
 * included), and items/s. A run on a source 10× shorter shows whether memory depends on the source length.
 */
import { join } from 'node:path'
import { rm } from 'node:fs/promises'
import { expectEqual, jsonlNumbers } from '../lib/check.js'
import { writeMapFlow } from '../lib/fixtures.js'
import { runNetworked } from '../lib/grid.js'
import type { NetworkedRun } from '../lib/grid.js'
import type { BenchContext, WorkloadResult } from '../lib/report.js'
import { figure, target } from '../lib/report.js'
import { summarize } from '../lib/stats.js'

export const W4_RSS_MB = 250
/** Runs of the long source: each takes 30-60 s here, and its memory peak barely varies between runs. */
const MAX_RUNS = 1

export async function w4Stream (ctx: BenchContext): Promise<WorkloadResult> {
  const items = ctx.quick ? 100_000 : 10_000_000
  const shortItems = items / 10
  const runs = Math.min(ctx.runs, MAX_RUNS)
  const coordinatorRss: number[] = []
  const workerRss: number[] = []
  const rate: number[] = []
  for (let run = 1; run <= runs; run++) {
    const r = await oneRun(ctx, items, `w4r${run}`)
    coordinatorRss.push(r.coordinatorRssMB!)
    workerRss.push(r.workerRssMB[0])
    rate.push(items / (r.elapsedMs / 1000))
    ctx.log(`W4 run ${run}/${runs}: ${Math.round(rate[run - 1])} items/s, coordinator ${coordinatorRss[run - 1].toFixed(0)} MB, worker ${workerRss[run - 1].toFixed(0)} MB`)
  }
  const short = await oneRun(ctx, shortItems, 'w4short')
  ctx.log(`W4 short source (${shortItems}): coordinator ${short.coordinatorRssMB!.toFixed(0)} MB`)
  const c = summarize(coordinatorRss)
  return {
    id: 'W4',
    title: 'streaming memory',
    params: { items, shortItems, function: 'double', workers: 1, threadsPerWorker: 1, sink: 'jsonl', runs },
    figures: {
      coordinatorRss: figure(c, 'MB', `coordinator peak RSS, ${items} items`),
      workerRss: figure(summarize(workerRss), 'MB', 'grid-worker peak RSS (process, threads included)'),
      itemsPerSec: figure(summarize(rate), 'items/s', 'source → 1 networked worker → jsonl sink'),
      coordinatorRssShort: figure(summarize([short.coordinatorRssMB!]), 'MB', `coordinator peak RSS, ${shortItems} items (one run)`)
    },
    ratios: {
      rssLongToShort: { value: c.median / short.coordinatorRssMB!, description: `coordinator peak RSS, ${items} items / ${shortItems} items` }
    },
    targets: [target('W4', 'coordinator peak RSS < 250 MB', `< ${W4_RSS_MB} MB`, c.max, 'MB', c.max < W4_RSS_MB)],
    notes: []
  }
}

async function oneRun (ctx: BenchContext, items: number, tag: string): Promise<NetworkedRun> {
  const flow = await writeMapFlow(ctx.dir, `w4-${items}`, ctx.wasm, 'double', { start: 0, end: items }, 'jsonl')
  const r = await runNetworked(ctx.env, { flow: flow.path, workers: 1, threadsPerWorker: 1, cache: join(ctx.dir, 'cache'), timeoutMs: 900_000, tag })
  const out = await jsonlNumbers(join(flow.dir, 'out.jsonl'))
  expectEqual('W4 outputs', out.count, items)
  expectEqual('W4 sum', out.sum, items * (items - 1))
  await rm(join(flow.dir, 'out.jsonl'))
  if (r.coordinatorRssMB == null || r.workerRssMB.length !== 1) throw new Error('W4: no peak RSS measured')
  return r
}
