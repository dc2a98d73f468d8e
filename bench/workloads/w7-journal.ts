/**
 * W7 journal cost: the smallest jobs (`double`, ~1 µs) through the embedded pool (2 threads), where the
 * coordinator's per-job work is all there is, with the journal (the default) and with `--no-journal`,
 * interleaved. The journal writes every finished job and every sink batch before the run goes on.
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { expectEqual, jsonlNumbers } from '../lib/check.js'
import { writeMapFlow } from '../lib/fixtures.js'
import type { FlowFile } from '../lib/fixtures.js'
import { startCoordinator } from '../lib/grid.js'
import type { RunReport } from '../lib/grid.js'
import type { BenchContext, WorkloadResult } from '../lib/report.js'
import { figure, target } from '../lib/report.js'
import { ratio, summarize } from '../lib/stats.js'

export const W7_TARGET = 0.8
const THREADS = 2

export async function w7Journal (ctx: BenchContext): Promise<WorkloadResult> {
  const jobs = ctx.quick ? 20_000 : 500_000
  const flow = await writeMapFlow(ctx.dir, 'w7', ctx.wasm, 'double', { start: 0, end: jobs }, 'jsonl')
  const expectedSum = jobs * (jobs - 1)
  const journaled: number[] = []
  const plain: number[] = []
  const bytesPerJob: number[] = []
  for (let run = 1; run <= ctx.runs; run++) {
    const without = await runOnce(ctx, flow, `w7-plain-${run}`, ['--no-journal'], jobs, expectedSum)
    plain.push(jobs / (without.wallMs / 1000))
    // the journal is removed at the end of a run: keep it elsewhere to measure its size
    const journal = join(ctx.dir, `w7-${run}.journal`)
    let size = 0
    const timer = setInterval(() => { stat(journal).then(s => { size = Math.max(size, s.size) }, () => {}) }, 50)
    const withJournal = await runOnce(ctx, flow, `w7-journal-${run}`, ['--journal', journal], jobs, expectedSum).finally(() => clearInterval(timer))
    journaled.push(jobs / (withJournal.wallMs / 1000))
    if (size > 0) bytesPerJob.push(size / jobs)
    ctx.log(`W7 run ${run}/${ctx.runs}: journal ${Math.round(journaled[run - 1])}/s, --no-journal ${Math.round(plain[run - 1])}/s`)
  }
  const j = summarize(journaled)
  const p = summarize(plain)
  const r = ratio(j, p)
  return {
    id: 'W7',
    title: 'journal cost',
    params: { jobs, function: 'double', threads: THREADS, sink: 'jsonl' },
    figures: {
      journal: figure(j, 'jobs/s', `${jobs} jobs, --local-only --workers ${THREADS}, journal on (default)`),
      noJournal: figure(p, 'jobs/s', 'the same with --no-journal'),
      ...(bytesPerJob.length > 0 ? { journalBytes: figure(summarize(bytesPerJob), 'bytes/job', 'largest journal size seen during the run, per job (lower bound: sampled every 50 ms)') } : {})
    },
    ratios: { journalToPlain: { ...r, description: 'throughput with the journal / without' } },
    targets: [target('W7', 'the journal costs at most 20 % on the smallest jobs', `≥ ${W7_TARGET}`, r.value, 'ratio', r.value >= W7_TARGET)],
    notes: []
  }
}

async function runOnce (ctx: BenchContext, flow: FlowFile, tag: string, extraArgs: string[], jobs: number, expectedSum: number): Promise<RunReport> {
  const reportPath = join(ctx.dir, `report-${tag}.json`)
  const { proc } = await startCoordinator(ctx.env, { flow: flow.path, workers: THREADS, localOnly: true, report: reportPath, extraArgs })
  const exit = await proc.waitExit(300_000)
  expectEqual(`W7 exit code (output: ${proc.output.slice(-500)})`, exit.code, 0)
  const out = await jsonlNumbers(join(flow.dir, 'out.jsonl'))
  expectEqual('W7 outputs', out.count, jobs)
  expectEqual('W7 sum', out.sum, expectedSum)
  return JSON.parse(await readFile(reportPath, 'utf8')) as RunReport
}
