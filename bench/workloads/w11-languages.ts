/**
 * W11 languages: the W3 `burn` (bench/lib/fixtures.ts) written in AssemblyScript (the kit), C (native kit),
 * C (WASI command), Rust (native kit) and JavaScript (QuickJS), plus the hand-written WAT of bench.wat as the
 * reference, each run through the same executor (ThreadPool, one worker thread, in this process):
 *   - time per job: `burn(n)` with n calibrated to about 20 ms on the WAT module (the same n for all);
 *   - per-call cost: `burn(1)` in one batch of many jobs, whatever the function does besides its loop
 *     (input decoding, instance or context, output encoding, the pool's own share).
 * Sources: bench/fixtures/burn/, built here (clang, Debian's rustc, asc), so the bench needs the toolchains
 * the tests install (test/setup/ensure-toolchains.ts).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sha256Hex } from '../../core/abi/host.js'
import { decodeValue, encodeValue } from '../../core/codec.js'
import type { FunctionRef, Job, JobOutcome } from '../../core/jobs.js'
import { compileC, compileRust } from '../../examples/build-native.js'
import { compileFunction } from '../../node-peer/compile/compile-function.js'
import { ThreadPool } from '../../node-peer/executor/pool.js'
import { runLoop } from '../baselines/loop.js'
import { expectEqual } from '../lib/check.js'
import { expected } from '../lib/fixtures.js'
import type { BenchContext, Figure, RatioFigure, WorkloadResult } from '../lib/report.js'
import { figure } from '../lib/report.js'
import { ratio, summarize } from '../lib/stats.js'

const SOURCES = fileURLToPath(new URL('../../../bench/fixtures/burn/', import.meta.url))

interface Variant {
  readonly key: string
  readonly label: string
  readonly bytes: Uint8Array
  readonly fn: Omit<FunctionRef, 'module'>
  /** Heavy jobs per run (fewer for the interpreter). */
  readonly heavyJobs: number
}

async function buildVariants (ctx: BenchContext): Promise<Variant[]> {
  const out = (name: string): string => join(ctx.dir, 'w11', name)
  const as = await compileFunction(join(SOURCES, 'assembly', 'burn.ts'), { baseDir: SOURCES })
  const heavy = ctx.quick ? 2 : 8
  return [
    { key: 'wat', label: 'WAT (bench.wat, hand-written)', bytes: ctx.wasm, fn: { export: 'burn' }, heavyJobs: heavy },
    { key: 'assemblyscript', label: 'AssemblyScript (kit)', bytes: as.bytes, fn: { export: 'burn' }, heavyJobs: heavy },
    { key: 'cNative', label: 'C (native kit, grid.h)', bytes: await compileC(join(SOURCES, 'burn_native.c'), out('burn_native_c.wasm'), 'v1'), fn: { export: 'burn' }, heavyJobs: heavy },
    { key: 'cWasi', label: 'C (WASI command, io json)', bytes: await compileC(join(SOURCES, 'burn_wasi.c'), out('burn_wasi_c.wasm'), 'wasi'), fn: { export: '_start', wasi: 'json' }, heavyJobs: heavy },
    { key: 'rustNative', label: 'Rust (native kit, grid.rs)', bytes: await compileRust(join(SOURCES, 'burn_native.rs'), out('burn_native_rs.wasm'), 'v1'), fn: { export: 'burn' }, heavyJobs: heavy },
    { key: 'javascript', label: 'JavaScript (QuickJS)', bytes: new Uint8Array(await readFile(join(SOURCES, 'burn.js'))), fn: { export: 'burn', js: true }, heavyJobs: ctx.quick ? 1 : 3 }
  ]
}

function outputsOf (outcomes: readonly JobOutcome[], what: string): number[] {
  return [...outcomes].sort((a, b) => a.id - b.id).map(o => {
    if (!o.ok) throw new Error(`${what}: job ${o.id} failed: ${o.error.name}: ${o.error.message}`)
    return Number(decodeValue(o.outputs[0].bytes))
  })
}

/** ms for `inputs` run as one call of pool.run, outputs checked against expected.burn. */
async function timeJobs (pool: ThreadPool, fn: FunctionRef, inputs: readonly number[], what: string): Promise<number> {
  const jobs: Job[] = inputs.map((n, id) => ({ id, fn, input: encodeValue(n), timeoutMs: 600_000 }))
  const started = performance.now()
  const outcomes = await pool.run(jobs)
  const ms = performance.now() - started
  const got = outputsOf(outcomes, what)
  inputs.forEach((n, i) => { expectEqual(`${what} burn(${n})`, got[i], expected.burn(n)) })
  return ms
}

export async function w11Languages (ctx: BenchContext): Promise<WorkloadResult> {
  const jobMs = ctx.quick ? 5 : 20
  const tinyJobs = ctx.quick ? 200 : 2000
  runLoop(ctx.instance, 'burn', [2_000_000]) // tiers up
  const probe = runLoop(ctx.instance, 'burn', [2_000_000, 2_000_000])
  const n = Math.max(1000, Math.round(jobMs / (probe.elapsedMs / 4_000_000)))
  const variants = await buildVariants(ctx)
  const perJob = new Map<string, number[]>()
  const perCall = new Map<string, number[]>()
  for (let run = 1; run <= ctx.runs; run++) {
    for (const v of variants) {
      const pool = new ThreadPool({ threads: 1 })
      try {
        const module = await sha256Hex(v.bytes)
        await pool.addModule(module, v.bytes)
        const fn = { module, ...v.fn } as FunctionRef
        await timeJobs(pool, fn, [1, 2, 3, 1000], v.label) // warm: sandbox started, instance or context made, tiers up
        const heavy = await timeJobs(pool, fn, Array.from({ length: v.heavyJobs }, (_, i) => n + i), v.label)
        const tiny = await timeJobs(pool, fn, Array.from({ length: tinyJobs }, () => 1), v.label)
        perJob.set(v.key, [...(perJob.get(v.key) ?? []), heavy / v.heavyJobs])
        perCall.set(v.key, [...(perCall.get(v.key) ?? []), tiny * 1000 / tinyJobs])
      } finally {
        await pool.close()
      }
    }
    ctx.log(`W11 run ${run}/${ctx.runs}: ${variants.map(v => `${v.key} ${perJob.get(v.key)?.at(-1)?.toFixed(1) ?? '?'} ms/job, ${perCall.get(v.key)?.at(-1)?.toFixed(1) ?? '?'} µs/call`).join('; ')}`)
  }
  const figures: Record<string, Figure> = {}
  const ratios: Record<string, RatioFigure> = {}
  const as = summarize(perJob.get('assemblyscript') ?? [])
  for (const v of variants) {
    const job = summarize(perJob.get(v.key) ?? [])
    figures[`${v.key}Job`] = figure(job, 'ms', `${v.label}: time per burn(${n}) job`)
    figures[`${v.key}Call`] = figure(summarize(perCall.get(v.key) ?? []), 'µs', `${v.label}: time per burn(1) job in a batch of ${tinyJobs} (per-call cost)`)
    if (v.key !== 'assemblyscript') ratios[`${v.key}ToAssemblyScript`] = { ...ratio(job, as), description: `time per job, ${v.label} / AssemblyScript` }
  }
  return {
    id: 'W11',
    title: 'Languages (burn)',
    params: { iterationsPerJob: n, targetJobMs: jobMs, tinyJobs, threads: 1, function: 'burn' },
    figures,
    ratios,
    targets: [],
    notes: ['JavaScript runs in QuickJS, an interpreter compiled to WebAssembly: no JIT, so CPU-bound loops are far slower than compiled WebAssembly']
  }
}
