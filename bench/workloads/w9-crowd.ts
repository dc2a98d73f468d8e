/**
 * W9 crowd: a thousand volunteers on one coordinator. N worker agents, packed AGENTS_PER_HOST to a process
 * (bench/crowd/crowd-host.ts: each agent a real libp2p node with its own key and connection, the real job
 * protocol through grid-worker's WorkerRunner, grid-worker's heartbeat; one thread pool per process), all
 * from 127.0.0.1 as a classroom behind one NAT would be, join a `grid-coordinator --workers 0`.
 *
 * Measured, in order: the time from starting the crowd's processes to each join (coordinator log: p50, p99,
 * all), the coordinator's CPU per joined worker over the joining, its RSS with N sessions; then, with the
 * crowd connected and no run going, its CPU per worker per second over IDLE_WINDOW_MS (heartbeats, pings,
 * gossip: this must not grow with N); then one more agent (the starter) joins, the coordinator's
 * `--wait-workers N+1` starts a flow of JOBS_PER_WORKER jobs per worker, and the report says how many jobs
 * each worker ran (every one must have run some).
 */
import { join } from 'node:path'
import { expectEqual } from '../lib/check.js'
import { writeMapFlow } from '../lib/fixtures.js'
import { startCoordinator } from '../lib/grid.js'
import type { RunReport } from '../lib/grid.js'
import { BenchProc, stopAll } from '../lib/proc.js'
import { cpuMsOf, rssMBOf } from '../lib/proc-stat.js'
import type { BenchContext, WorkloadResult } from '../lib/report.js'
import { figure, target } from '../lib/report.js'
import { percentile, summarize } from '../lib/stats.js'
import { readFile } from 'node:fs/promises'
import { DEFAULT_MAX_PEERS } from '../../node-peer/net/limits.js'

/** Agents per crowd process: 1,000 in 10 processes fit this 2-core machine. */
export const AGENTS_PER_HOST = 100
const JOBS_PER_WORKER = 20
/** Two worker heartbeats and one libp2p ping per connection. */
const IDLE_WINDOW_MS = 10_000
export const W9_ALL_JOINED_MS = 30_000
export const W9_RSS_MB = 600
/** The RSS target is stated for 1,000 sessions. */
const RSS_TARGET_CROWD = 1000
const JOIN_LINE = /^\+ worker\/\S+ joined/
const HOST_SCRIPT = 'dist/bench/crowd/crowd-host.js'

/** Longest wait for the whole crowd to join (the target is 30 s; this only bounds a run that misses it). */
const JOIN_DEADLINE_MS = 180_000

/** How far a crowd got when not every agent joined in time. */
interface PartialCrowd {
  readonly crowd: number
  readonly joinMs: readonly number[]
  readonly rssBeforeMB: number
  readonly rssJoinedMB: number
  readonly joinCpuMsPerWorker: number
}

interface CrowdRun extends PartialCrowd {
  readonly hostStartMs: readonly number[]
  readonly rssIdleMB: number
  readonly idleCpuUsPerWorkerSecond: number
  readonly peakRssMB: number | undefined
  readonly report: RunReport
  readonly workers: number
}

export async function w9Crowd (ctx: BenchContext): Promise<WorkloadResult> {
  const crowd = ctx.workers ?? (ctx.quick ? 40 : 1000)
  if (!Number.isInteger(crowd) || crowd < 1) throw new RangeError(`W9: --workers must be a positive integer, got ${crowd}`)
  // one run: starting a thousand nodes takes most of this machine for half a minute
  const r = await crowdRun(ctx, crowd)
  if (!('report' in r)) return partialResult(r)
  const sorted = [...r.joinMs].sort((a, b) => a - b)
  const all = sorted[sorted.length - 1]
  const jobs = Object.values(r.report.perWorker).sort((a, b) => a - b)
  const withJobs = jobs.filter(n => n > 0).length
  const one = (v: number): ReturnType<typeof summarize> => summarize([v])
  const targets = [
    target('W9', `${crowd} workers joined within 30 s of starting`, `≤ ${W9_ALL_JOINED_MS} ms`, all, 'ms', all <= W9_ALL_JOINED_MS),
    target('W9', 'every worker ran jobs', `${r.workers} of ${r.workers}`, withJobs, 'workers', withJobs === r.workers)
  ]
  const notes: string[] = [`${Math.ceil(crowd / AGENTS_PER_HOST)} crowd processes of up to ${AGENTS_PER_HOST} agents, one thread pool each; all from 127.0.0.1`]
  if (crowd >= RSS_TARGET_CROWD) {
    targets.push(target('W9', `coordinator RSS with ${crowd} sessions`, `< ${W9_RSS_MB} MB`, r.rssIdleMB, 'MB', r.rssIdleMB < W9_RSS_MB))
  } else {
    notes.push(`the RSS target is for ${RSS_TARGET_CROWD} sessions: not checked with ${crowd}`)
  }
  return {
    id: 'W9',
    title: 'crowd',
    params: { workers: crowd, agentsPerProcess: AGENTS_PER_HOST, jobsPerWorker: JOBS_PER_WORKER, idleWindowMs: IDLE_WINDOW_MS, starter: 1 },
    figures: {
      joinP50: figure(one(percentile(sorted, 50)), 'ms', 'crowd processes started → half of the agents joined (coordinator log)'),
      joinP99: figure(one(percentile(sorted, 99)), 'ms', 'crowd processes started → 99 % joined'),
      joinAll: figure(one(all), 'ms', `crowd processes started → all ${crowd} joined`),
      hostsStarted: figure(one(Math.max(...r.hostStartMs)), 'ms', 'the slowest crowd process had every agent\'s node started (its own CPU, not the coordinator\'s)'),
      joinCpuPerWorker: figure(one(r.joinCpuMsPerWorker), 'ms', 'coordinator CPU (user + system) from the first start to all joined, per joined worker'),
      rssBefore: figure(one(r.rssBeforeMB), 'MB', 'coordinator RSS before the crowd started'),
      rssJoined: figure(one(r.rssJoinedMB), 'MB', `coordinator RSS when all ${crowd} had joined`),
      rssIdle: figure(one(r.rssIdleMB), 'MB', `coordinator RSS after ${IDLE_WINDOW_MS / 1000} s with ${crowd} sessions and no run`),
      rssPerSession: figure(one((r.rssIdleMB - r.rssBeforeMB) / crowd * 1000), 'kB', 'coordinator RSS growth per session (idle figure − before) / N'),
      idleCpuPerWorker: figure(one(r.idleCpuUsPerWorkerSecond), 'µs/s', 'coordinator CPU per connected worker per second with no run (heartbeats, pings, gossip)'),
      ...(r.peakRssMB != null ? { peakRss: figure(one(r.peakRssMB), 'MB', 'coordinator peak RSS over the whole run') } : {}),
      jobsPerWorkerMin: figure(one(jobs[0]), 'jobs', 'fewest jobs a worker ran in the flow over all of them'),
      jobsPerWorkerMedian: figure(one(percentile(jobs, 50)), 'jobs', 'median jobs per worker'),
      jobsPerWorkerMax: figure(one(jobs[jobs.length - 1]), 'jobs', 'most jobs a worker ran'),
      workersWithJobs: figure(one(withJobs), 'workers', `workers that ran at least one job (of ${r.workers})`)
    },
    ratios: {},
    targets,
    notes
  }
}

async function crowdRun (ctx: BenchContext, crowd: number): Promise<CrowdRun | PartialCrowd> {
  const workers = crowd + 1
  const items = workers * JOBS_PER_WORKER
  const flow = await writeMapFlow(ctx.dir, 'w9', ctx.wasm, 'double', { start: 0, end: items }, 'jsonl')
  const reportPath = join(ctx.dir, 'report-w9.json')
  const { proc: coordinator, bootstrap } = await startCoordinator(ctx.env, {
    flow: flow.path,
    workers: 0,
    waitWorkers: workers,
    report: reportPath,
    extraArgs: ['--no-journal', '--max-peers', String(Math.max(DEFAULT_MAX_PEERS, workers))]
  })
  const hosts: BenchProc[] = []
  try {
    const rssBeforeMB = rssMBOf(coordinator.pid) ?? 0
    const cpuBefore = cpuMsOf(coordinator.pid) ?? 0
    const started = performance.now()
    const perHost = Math.ceil(crowd / Math.ceil(crowd / AGENTS_PER_HOST))
    for (let first = 0, h = 1; first < crowd; first += perHost, h++) {
      hosts.push(startHost(bootstrap!, Math.min(perHost, crowd - first), `w9-${h}`))
    }
    const joins = await coordinator.waitForLines(JOIN_LINE, crowd, JOIN_DEADLINE_MS).catch(() => coordinator.lines.filter(l => JOIN_LINE.test(l.text)))
    if (joins.length < crowd) {
      // a crowd that does not fit (busy machine, limits too tight): report how far it got instead of nothing
      ctx.log(`W9: only ${joins.length} of ${crowd} joined within ${JOIN_DEADLINE_MS / 1000} s`)
      return { joinMs: joins.map(l => l.at - started), crowd, rssBeforeMB, rssJoinedMB: rssMBOf(coordinator.pid) ?? 0, joinCpuMsPerWorker: ((cpuMsOf(coordinator.pid) ?? 0) - cpuBefore) / Math.max(1, joins.length) }
    }
    const cpuJoined = cpuMsOf(coordinator.pid) ?? 0
    const rssJoinedMB = rssMBOf(coordinator.pid) ?? 0
    ctx.log(`W9: ${crowd} joined within ${(joins[crowd - 1].at - started).toFixed(0)} ms; coordinator ${rssJoinedMB.toFixed(0)} MB, ${((cpuJoined - cpuBefore) / crowd).toFixed(2)} ms CPU per join`)
    const hostStartMs = await Promise.all(hosts.map(async h => Number((await h.waitForLine(/^started \d+ agents in (\d+) ms/, 120_000)).match[1])))

    await new Promise(resolve => setTimeout(resolve, IDLE_WINDOW_MS))
    const idleCpuMs = (cpuMsOf(coordinator.pid) ?? 0) - cpuJoined
    const rssIdleMB = rssMBOf(coordinator.pid) ?? 0

    hosts.push(startHost(bootstrap!, 1, 'w9-starter'))
    const exit = await coordinator.waitExit(Math.max(120_000, items * 10))
    expectEqual('W9 coordinator exit code', exit.code, 0)
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as RunReport
    expectEqual('W9 run ok', report.ok, true)
    expectEqual('W9 jobs done', report.jobs.done, items)
    expectEqual('W9 workers in the report', Object.keys(report.perWorker).length, workers)
    return {
      crowd,
      joinMs: joins.map(l => l.at - started),
      hostStartMs,
      joinCpuMsPerWorker: (cpuJoined - cpuBefore) / crowd,
      rssBeforeMB,
      rssJoinedMB,
      rssIdleMB,
      idleCpuUsPerWorkerSecond: idleCpuMs * 1000 / (IDLE_WINDOW_MS / 1000) / crowd,
      peakRssMB: coordinator.peakRssMB()?.mb,
      report,
      workers
    }
  } finally {
    // SIGINT: the coordinator's Ctrl-C, after which it exits normally (and writes its --cpu-prof profile)
    await coordinator.stop('SIGINT', 30_000)
    await stopAll(hosts, 10_000)
  }
}

function partialResult (r: PartialCrowd): WorkloadResult {
  const one = (v: number): ReturnType<typeof summarize> => summarize([v])
  const sorted = [...r.joinMs].sort((a, b) => a - b)
  return {
    id: 'W9',
    title: 'crowd',
    params: { workers: r.crowd, agentsPerProcess: AGENTS_PER_HOST, joinDeadlineMs: JOIN_DEADLINE_MS },
    figures: {
      joined: figure(one(sorted.length), 'workers', `agents joined within ${JOIN_DEADLINE_MS / 1000} s (of ${r.crowd})`),
      ...(sorted.length > 0 ? { joinP50: figure(one(percentile(sorted, 50)), 'ms', 'crowd processes started → half of those that joined had joined') } : {}),
      joinCpuPerWorker: figure(one(r.joinCpuMsPerWorker), 'ms', 'coordinator CPU until the deadline, per joined worker'),
      rssJoined: figure(one(r.rssJoinedMB), 'MB', 'coordinator RSS at the deadline')
    },
    ratios: {},
    targets: [target('W9', `${r.crowd} workers joined within 30 s of starting`, `≤ ${W9_ALL_JOINED_MS} ms`, sorted.length < r.crowd ? JOIN_DEADLINE_MS : sorted[sorted.length - 1], 'ms', false)],
    notes: [`only ${sorted.length} of ${r.crowd} joined within ${JOIN_DEADLINE_MS / 1000} s: no flow was run`]
  }
}

function startHost (bootstrap: string, agents: number, prefix: string): BenchProc {
  // no --cpu-prof here even with --profile: the coordinator's profile is the one that matters
  return new BenchProc({ script: HOST_SCRIPT, args: ['--bootstrap', bootstrap, '--agents', String(agents), '--prefix', prefix] })
}
