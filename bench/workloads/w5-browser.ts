/**
 * W5 browser: one headless Chromium tab (the volunteer page, browser-peer/dist, 1 thread) as the only worker
 * of a coordinator, on W3's CPU-bound jobs and on W1's tiny jobs, against one grid-worker with 1 thread on
 * the same flows. The tab joins over WebSockets (what a browser can dial); the grid-worker over TCP.
 * Chromium runs as in the tests (test/helpers/browser.ts: Debian's /usr/bin/chromium, no network).
 * Skipped, with the reason, when the page is not built or Chromium is missing.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { startPageServer } from '../../node-peer/http/page-server.js'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import { CHROMIUM_PATH, withBrowser } from '../../test/helpers/browser.js'
import { runLoop, range } from '../baselines/loop.js'
import { expectEqual, jsonlNumbers } from '../lib/check.js'
import { writeMapFlow } from '../lib/fixtures.js'
import type { FlowFile } from '../lib/fixtures.js'
import { freePort, runNetworked } from '../lib/grid.js'
import type { RunReport } from '../lib/grid.js'
import { BenchProc, REPO_ROOT } from '../lib/proc.js'
import type { BenchContext, WorkloadResult } from '../lib/report.js'
import { figure, target } from '../lib/report.js'
import { ratio, summarize } from '../lib/stats.js'

export const W5_TARGET = 0.8
const TAB = 'w5-tab'

export async function w5Browser (ctx: BenchContext): Promise<WorkloadResult> {
  const skipped = (reason: string): WorkloadResult => ({ id: 'W5', title: 'browser tab', params: {}, figures: {}, ratios: {}, targets: [], notes: [], skipped: reason })
  if (!existsSync(join(REPO_ROOT, 'browser-peer', 'dist', 'index.html'))) return skipped('the browser page is not built (npm run build:page)')
  if (!existsSync(CHROMIUM_PATH)) return skipped(`no Chromium at ${CHROMIUM_PATH}`)

  const cpuJobs = ctx.quick ? 8 : 64
  const tinyJobs = ctx.quick ? 2000 : 100_000
  const iterations = calibrate(ctx, ctx.quick ? 10 : 50)
  const cpuFlow = await writeMapFlow(ctx.dir, 'w5-cpu', ctx.wasm, 'burn', { start: iterations, end: iterations + cpuJobs }, 'jsonl')
  const tinyFlow = await writeMapFlow(ctx.dir, 'w5-tiny', ctx.wasm, 'double', { start: 0, end: tinyJobs }, 'jsonl')
  const cpuSum = runLoop(ctx.instance, 'burn', range(iterations, iterations + cpuJobs)).outputs.reduce((a, b) => a + b, 0)
  const tinySum = tinyJobs * (tinyJobs - 1)

  // the tab knows the coordinator's WebSocket address before it starts: a fixed identity and port
  const identity = join(ctx.dir, 'w5-coordinator.key')
  const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
  const wsPort = await freePort()
  const wsListen = `/ip4/127.0.0.1/tcp/${wsPort}/ws`
  const server = await startPageServer({ port: 0, config: () => ({ bootstrap: [`${wsListen}/p2p/${peerId.toString()}`] }) })
  const tabCpu: number[] = []
  const tabTiny: number[] = []
  const nodeCpu: number[] = []
  const nodeTiny: number[] = []
  try {
    await withBrowser({}, async browser => {
      const tab = await browser.open(`${server.url}?autostart=1&threads=1&discover=0&name=${TAB}`)
      await tab.page.waitForFunction(() => (window as unknown as { __edgeGrid?: unknown }).__edgeGrid != null, undefined, { timeout: 20_000 })
      for (let run = 1; run <= ctx.runs; run++) {
        tabCpu.push(await onTab(ctx, cpuFlow, identity, wsListen, run, cpuJobs, cpuSum))
        tabTiny.push(tinyJobs / (await onTab(ctx, tinyFlow, identity, wsListen, run, tinyJobs, tinySum) / 1000))
        nodeCpu.push(await onGridWorker(ctx, cpuFlow, run, cpuJobs, cpuSum))
        nodeTiny.push(tinyJobs / (await onGridWorker(ctx, tinyFlow, run, tinyJobs, tinySum) / 1000))
        ctx.log(`W5 run ${run}/${ctx.runs}: CPU-bound tab ${Math.round(tabCpu[run - 1])} ms vs grid-worker ${Math.round(nodeCpu[run - 1])} ms; tiny jobs tab ${Math.round(tabTiny[run - 1])}/s vs grid-worker ${Math.round(nodeTiny[run - 1])}/s`)
      }
      // refused WebSocket dials are expected: the tab keeps dialling while no coordinator runs between flows
      const errors = tab.errors.filter(e => !e.includes('ERR_CONNECTION_REFUSED'))
      if (errors.length > 0) ctx.log(`W5: the page reported errors: ${errors.slice(0, 3).join(' | ')}`)
    })
  } finally {
    await server.close()
  }
  const TC = summarize(tabCpu)
  const NC = summarize(nodeCpu)
  const TT = summarize(tabTiny)
  const NT = summarize(nodeTiny)
  const cpuRatio = ratio(NC, TC)
  return {
    id: 'W5',
    title: 'browser tab',
    params: { cpuJobs, iterationsPerJob: iterations, tinyJobs, threads: 1, tabTransport: 'WebSockets', gridWorkerTransport: 'TCP' },
    figures: {
      tabCpuBound: figure(TC, 'ms', `${cpuJobs} CPU-bound jobs on one Chromium tab, 1 thread`),
      gridWorkerCpuBound: figure(NC, 'ms', 'the same on one grid-worker, 1 thread'),
      tabTiny: figure(TT, 'jobs/s', `${tinyJobs} tiny jobs on one Chromium tab, 1 thread`),
      gridWorkerTiny: figure(NT, 'jobs/s', 'the same on one grid-worker, 1 thread')
    },
    ratios: {
      tabToGridWorkerCpuBound: { ...cpuRatio, description: 'CPU-bound speed of the tab relative to grid-worker: time(grid-worker) / time(tab)' },
      tabToGridWorkerTiny: { ...ratio(TT, NT), description: 'tiny-job throughput of the tab relative to grid-worker' }
    },
    targets: [target('W5', 'tab within 80 % of grid-worker on W3', `≥ ${W5_TARGET}`, cpuRatio.value, 'ratio', cpuRatio.value >= W5_TARGET)],
    notes: []
  }
}

/** One flow with the tab as the only worker; returns the coordinator's wall time (the run starts once the tab joined). */
async function onTab (ctx: BenchContext, flow: FlowFile, identity: string, wsListen: string, run: number, jobs: number, sum: number): Promise<number> {
  const reportPath = join(ctx.dir, `report-w5-tab-${run}-${jobs}.json`)
  const proc = new BenchProc({
    script: 'node-peer/bin/grid-coordinator.js',
    args: [flow.path, '--workers', '0', '--listen', wsListen, '--identity', identity, '--wait-workers', '1', '--report', reportPath],
    probeFile: join(ctx.dir, `probe-w5-${run}-${jobs}.json`)
  })
  const exit = await proc.waitExit(300_000)
  expectEqual(`W5 tab coordinator exit code (output: ${proc.output.slice(-500)})`, exit.code, 0)
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as RunReport
  expectEqual('W5 the tab did every job', report.perWorker[`worker/${TAB}`], jobs)
  await check(flow, jobs, sum)
  return report.wallMs
}

async function onGridWorker (ctx: BenchContext, flow: FlowFile, run: number, jobs: number, sum: number): Promise<number> {
  const r = await runNetworked(ctx.env, { flow: flow.path, workers: 1, threadsPerWorker: 1, cache: join(ctx.dir, 'cache'), timeoutMs: 300_000, tag: `w5r${run}` })
  await check(flow, jobs, sum)
  return r.elapsedMs
}

async function check (flow: FlowFile, jobs: number, sum: number): Promise<void> {
  const out = await jsonlNumbers(join(flow.dir, 'out.jsonl'))
  expectEqual('W5 outputs', out.count, jobs)
  expectEqual('W5 sum', out.sum, sum)
}

function calibrate (ctx: BenchContext, jobMs: number): number {
  const probe = 2_000_000
  runLoop(ctx.instance, 'burn', [probe])
  const r = runLoop(ctx.instance, 'burn', [probe, probe, probe])
  return Math.max(1000, Math.round(jobMs / (r.elapsedMs / (3 * probe))))
}
