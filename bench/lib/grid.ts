/**
 * The grid as users run it: `grid-coordinator` and `grid-worker` processes on loopback, started through the
 * bin scripts, each with the RSS probe.
 */
import { execFile } from 'node:child_process'
import { mkdir, readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { BenchProc, REPO_ROOT, stopAll } from './proc.js'
import type { Line } from './proc.js'

const COORDINATOR = 'node-peer/bin/grid-coordinator.js'
const WORKER = 'node-peer/bin/grid-worker.js'
const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0']

export interface GridEnv {
  /** Scratch folder for reports, identities, probes, caches. */
  readonly dir: string
  /** Extra node flags for every grid process (e.g. --cpu-prof). */
  readonly nodeFlags?: readonly string[]
}

let probeSeq = 0
function probeFile (env: GridEnv, role: string): string {
  return join(env.dir, `probe-${role}-${process.pid}-${++probeSeq}.json`)
}

let waitSupport: Promise<boolean> | undefined
/** Whether this grid-coordinator has `--wait-workers` (start the run once N volunteers joined). */
export async function supportsWaitWorkers (): Promise<boolean> {
  waitSupport ??= new Promise(resolve => {
    execFile(process.execPath, [join(REPO_ROOT, COORDINATOR), '--help'], (_err, stdout) => { resolve(stdout.includes('--wait-workers')) })
  })
  return await waitSupport
}

export interface CoordinatorInit {
  readonly flow: string
  /** Embedded worker threads (0: volunteers only). */
  readonly workers: number
  readonly localOnly?: boolean
  /** Start the run once this many volunteers joined (when the CLI supports it). */
  readonly waitWorkers?: number
  readonly report: string
  /** More command-line options (e.g. --no-journal). */
  readonly extraArgs?: readonly string[]
  readonly keepStdout?: boolean
  readonly onLine?: (line: Line) => void
}

export interface Coordinator {
  readonly proc: BenchProc
  /** Its TCP multiaddr on 127.0.0.1 with /p2p/<id>; undefined with localOnly. */
  readonly bootstrap: string | undefined
}

export async function startCoordinator (env: GridEnv, init: CoordinatorInit): Promise<Coordinator> {
  const args = [init.flow, '--workers', String(init.workers), '--report', init.report]
  if (init.localOnly === true) args.push('--local-only', '--quiet')
  else args.push(...LISTEN, '--identity', join(env.dir, `coordinator-${process.pid}-${++probeSeq}.key`))
  if (init.waitWorkers != null && init.waitWorkers > 0 && await supportsWaitWorkers()) args.push('--wait-workers', String(init.waitWorkers))
  args.push(...init.extraArgs ?? [])
  const proc = new BenchProc({ script: COORDINATOR, args, probeFile: probeFile(env, 'coordinator'), nodeFlags: env.nodeFlags, keepStdout: init.keepStdout, onLine: init.onLine })
  if (init.localOnly === true) return { proc, bootstrap: undefined }
  const { match } = await proc.waitForLine(/listening on (\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+)/)
  return { proc, bootstrap: match[1] }
}

export interface WorkerInit {
  readonly bootstrap: string
  readonly threads: number
  readonly name: string
  /** Module cache folder: a fresh one means the code is fetched from the coordinator. */
  readonly cache: string
}

export async function startWorker (env: GridEnv, init: WorkerInit): Promise<BenchProc> {
  await mkdir(init.cache, { recursive: true })
  return new BenchProc({
    script: WORKER,
    args: ['--bootstrap', init.bootstrap, '--threads', String(init.threads), '--name', init.name, '--cache', init.cache, '--quiet'],
    probeFile: probeFile(env, `worker-${init.name}`),
    nodeFlags: env.nodeFlags
  })
}

/** What `--report` writes (the fields the bench reads). */
export interface RunReport {
  readonly ok: boolean
  readonly wallMs: number
  readonly jobs: { readonly done: number, readonly failed: number, readonly retried: number }
  readonly perWorker: Record<string, number>
  /** Stages that ran chained (absent when none). */
  readonly chains?: string[][]
}

export interface NetworkedRunInit {
  readonly flow: string
  /** Networked grid-worker processes. */
  readonly workers: number
  readonly threadsPerWorker: number
  /** Shared module cache (warm after the first run). */
  readonly cache: string
  readonly timeoutMs: number
  readonly tag: string
}

export interface NetworkedRun {
  readonly report: RunReport
  /**
   * Run time with every worker present: the coordinator's wallMs when it waited for the workers
   * (--wait-workers), else from the first worker joining to the coordinator's exit (slightly pessimistic).
   */
  readonly elapsedMs: number
  readonly timing: 'wallMs' | 'first-join-to-exit'
  readonly coordinatorRssMB?: number
  readonly workerRssMB: readonly number[]
  readonly coordinatorCpuMs?: number
  /** CPU time (user + system) of every worker process, threads included. */
  readonly workerCpuMs: readonly number[]
}

/** One coordinator (--workers 0) and `workers` grid-worker processes through one flow to its end. */
export async function runNetworked (env: GridEnv, init: NetworkedRunInit): Promise<NetworkedRun> {
  const reportPath = join(env.dir, `report-${init.tag}-${++probeSeq}.json`)
  const { proc: coordinator, bootstrap } = await startCoordinator(env, { flow: init.flow, workers: 0, waitWorkers: init.workers, report: reportPath })
  const workers: BenchProc[] = []
  try {
    for (let i = 0; i < init.workers; i++) {
      workers.push(await startWorker(env, { bootstrap: bootstrap!, threads: init.threadsPerWorker, name: `${init.tag}-w${i + 1}`, cache: init.cache }))
    }
    const exit = await coordinator.waitExit(init.timeoutMs)
    if (exit.code !== 0) throw new Error(`grid-coordinator exited with ${exit.code ?? exit.signal}; output:\n${coordinator.output.slice(-3000)}`)
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as RunReport
    const waited = await supportsWaitWorkers()
    let elapsedMs = report.wallMs
    if (!waited) {
      const firstJoin = coordinator.lines.find(l => /^\+ worker\/\S+ joined/.test(l.text))
      if (firstJoin == null) throw new Error('no worker joined')
      elapsedMs = exit.at - firstJoin.at
    }
    await stopAll(workers)
    return {
      report,
      elapsedMs,
      timing: waited ? 'wallMs' : 'first-join-to-exit',
      coordinatorRssMB: coordinator.peakRssMB()?.mb,
      coordinatorCpuMs: cpuMs(coordinator),
      workerRssMB: workers.map(w => w.peakRssMB()?.mb).filter((v): v is number => v != null),
      workerCpuMs: workers.map(cpuMs).filter((v): v is number => v != null)
    }
  } finally {
    await stopAll([coordinator, ...workers], 5000)
  }
}

function cpuMs (proc: BenchProc): number | undefined {
  const probe = proc.probe()
  return probe != null ? probe.userMs + probe.systemMs : undefined
}

/** A TCP port free on 127.0.0.1 right now (for addresses that must be known before a process starts). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address != null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}
