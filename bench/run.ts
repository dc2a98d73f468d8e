/**
 * `npm run bench`: measures the grid against its ceilings in one run, on this machine.
 *
 *   node dist/bench/run.js [--json FILE] [--quick] [--only W1,W3] [--runs N] [--workers N] [--profile DIR] [--keep]
 *
 * Each workload runs --runs times (default 3; medians and min–max), with its baselines in the same run, and
 * checks every output. Prints a table, and with --json writes one document with every figure and ratio.
 * --quick: small sizes (a smoke run). --workers N: the crowd size of W9 (default 1,000; 40 with --quick), the
 * grid-workers of W1 (default 2) and, above 2, one more W3 run on N grid-workers (scaling where cores exist). --profile DIR: every grid process runs with --cpu-prof into DIR.
 */
import { cpus, freemem, totalmem, availableParallelism, loadavg, tmpdir } from 'node:os'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { assembleBenchWat, benchInstance } from './lib/fixtures.js'
import { supportsWaitWorkers } from './lib/grid.js'
import type { BenchContext, Workload, WorkloadResult } from './lib/report.js'
import { formatTables } from './lib/table.js'
import { w1Tiny } from './workloads/w1-tiny.js'
import { w2Latency } from './workloads/w2-latency.js'
import { w3Cpu } from './workloads/w3-cpu.js'
import { w4Stream } from './workloads/w4-stream.js'
import { w5Browser } from './workloads/w5-browser.js'
import { w6Join } from './workloads/w6-join.js'
import { w7Journal } from './workloads/w7-journal.js'
import { w8Standing } from './workloads/w8-standing.js'
import { w9Crowd } from './workloads/w9-crowd.js'
import { w10Wordcount } from './workloads/w10-wordcount.js'
import { w11Languages } from './workloads/w11-languages.js'

const WORKLOADS: Record<string, Workload> = { W1: w1Tiny, W2: w2Latency, W3: w3Cpu, W4: w4Stream, W5: w5Browser, W6: w6Join, W7: w7Journal, W8: w8Standing, W9: w9Crowd, W10: w10Wordcount, W11: w11Languages }

interface Options {
  json?: string
  quick: boolean
  only: string[]
  runs: number
  workers?: number
  profile?: string
  keep: boolean
}

function parseOptions (argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      runs: { type: 'string' },
      workers: { type: 'string' },
      profile: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help === true) {
    process.stdout.write('Usage: node dist/bench/run.js [--json FILE] [--quick] [--only W1,W3] [--runs N] [--workers N] [--profile DIR] [--keep]\n')
    process.exit(0)
  }
  const only = values.only != null ? values.only.split(',').map(s => s.trim().toUpperCase()).filter(s => s !== '') : Object.keys(WORKLOADS)
  for (const id of only) if (WORKLOADS[id] == null) throw new Error(`--only: unknown workload "${id}" (known: ${Object.keys(WORKLOADS).join(', ')})`)
  const runs = values.runs != null ? Number(values.runs) : (values.quick === true ? 1 : 3)
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new Error(`--runs expects an integer from 1 to 100, got "${values.runs}"`)
  const workers = values.workers != null ? Number(values.workers) : undefined
  if (workers != null && (!Number.isInteger(workers) || workers < 1 || workers > 65_536)) throw new Error(`--workers expects an integer from 1 to 65536, got "${values.workers}"`)
  return { json: values.json, quick: values.quick === true, only, runs, workers, profile: values.profile != null ? resolve(values.profile) : undefined, keep: values.keep === true }
}

export function machine (): Record<string, unknown> {
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    memoryGB: Math.round(totalmem() / 1e9 * 10) / 10,
    freeMemoryGB: Math.round(freemem() / 1e9 * 10) / 10,
    // other work on the machine skews every figure: the 1-minute load average says how busy it was
    loadAverageAtStart: loadavg()[0]
  }
}

async function main (): Promise<number> {
  const options = parseOptions(process.argv.slice(2))
  const log = (line: string): void => { process.stderr.write(`${line}\n`) }
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-bench-'))
  const startedAt = new Date()
  const results: WorkloadResult[] = []
  const errors: Array<{ workload: string, error: string }> = []
  try {
    const wasm = await assembleBenchWat()
    const ctx: BenchContext = {
      quick: options.quick,
      runs: options.runs,
      workers: options.workers,
      dir,
      env: { dir, nodeFlags: options.profile != null ? ['--cpu-prof', '--cpu-prof-dir', options.profile] : undefined },
      wasm,
      instance: await benchInstance(wasm),
      log
    }
    const m = machine()
    log(`edge-grid bench: ${options.only.join(', ')}, ${options.runs} run${options.runs === 1 ? '' : 's'} each${options.quick ? ' (quick sizes)' : ''} on ${String(m.nproc)} × ${String(m.cpu)}, node ${String(m.node)}, load average ${loadavg()[0].toFixed(2)}`)
    if (loadavg()[0] > 0.5 * Number(m.nproc)) log('warning: this machine is busy with other work; figures will be low and noisy')
    for (const id of options.only) {
      const began = performance.now()
      try {
        results.push(await WORKLOADS[id](ctx))
        log(`${id} done in ${((performance.now() - began) / 1000).toFixed(1)} s`)
      } catch (err) {
        const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
        errors.push({ workload: id, error: message })
        log(`${id} FAILED: ${message}`)
      }
    }
    const targets = results.flatMap(r => r.targets)
    const document = {
      bench: 'edge-grid',
      version: 1,
      startedAt: startedAt.toISOString(),
      durationS: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
      machine: { ...m, loadAverageAtEnd: loadavg()[0] },
      options: { quick: options.quick, runs: options.runs, only: options.only, ...(options.workers != null ? { workers: options.workers } : {}) },
      coordinatorWaitsForWorkers: await supportsWaitWorkers(),
      workloads: Object.fromEntries(results.map(r => [r.id, r])),
      targets,
      errors
    }
    process.stdout.write(`\n${formatTables(results)}`)
    if (errors.length > 0) process.stdout.write(`\nFailed: ${errors.map(e => `${e.workload} (${e.error.split('\n')[0]})`).join('; ')}\n`)
    if (options.json != null) {
      await writeFile(options.json, `${JSON.stringify(document, null, 2)}\n`)
      log(`wrote ${options.json}`)
    }
    return errors.length > 0 ? 1 : 0
  } finally {
    if (options.keep) log(`scratch folder kept: ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  }
}

process.exitCode = await main()
