/**
 * W8 standing grid: a `grid-coordinator serve` process (no embedded workers) and 2 grid-worker processes
 * (1 thread each), warm; a client in this process (the GridClient library, connected once, as a long-lived
 * program would be) submits flows over the submit protocol.
 * - Latency: submit → first result of a one-job flow, 50 submissions (p50, p99); target p50 < 100 ms.
 * - Sharing: W1's flow (100,000 `double` jobs to a JSONL sink written by the client) alone, then two of
 *   them at once: each should get about half, and together at least 0.9 of one alone.
 */
import { join } from 'node:path'
import type { FlowSpec } from '../../core/flow/model.js'
import type { SinkWriter } from '../../core/run/flow-run.js'
import type { ClientRunComponents } from '../../node-peer/client/client-run.js'
import { GridClient } from '../../node-peer/client/grid-client.js'
import { submitRun } from '../../node-peer/client/run-link.js'
import { loadSubmission } from '../../node-peer/client/submission.js'
import { openSink } from '../../node-peer/sinks/open-sink.js'
import { openSource } from '../../node-peer/sources.js'
import { Terminal } from '../../node-peer/cli/terminal.js'
import { expectEqual, jsonlNumbers } from '../lib/check.js'
import { WASM_FILE, writeFlow, writeMapFlow } from '../lib/fixtures.js'
import { startWorker } from '../lib/grid.js'
import { BenchProc, stopAll } from '../lib/proc.js'
import type { BenchContext, WorkloadResult } from '../lib/report.js'
import { figure, target } from '../lib/report.js'
import { percentile, ratio, summarize } from '../lib/stats.js'

export const W8_P50_MS = 100
export const W8_SHARED_TARGET = 0.9
const SUBMISSIONS = 50
const WORKERS = 2

export async function w8Standing (ctx: BenchContext): Promise<WorkloadResult> {
  const serve = new BenchProc({
    script: 'node-peer/bin/grid-coordinator.js',
    args: ['serve', '--listen', '/ip4/127.0.0.1/tcp/0', '--workers', '0', '--identity', join(ctx.dir, 'w8-coordinator.key')],
    nodeFlags: ctx.env.nodeFlags
  })
  const workers: BenchProc[] = []
  let client: GridClient | undefined
  try {
    const { match } = await serve.waitForLine(/--grid (\S+)/)
    const grid = match[1]
    for (let i = 0; i < WORKERS; i++) workers.push(await startWorker(ctx.env, { bootstrap: grid, threads: 1, name: `w8-w${i}`, cache: join(ctx.dir, 'cache') }))
    for (let i = 0; i < WORKERS; i++) await serve.waitForLine(new RegExp(`\\+ worker/w8-w${i} joined`))
    client = await GridClient.connect({ grid, identity: join(ctx.dir, 'w8-client.key') })

    const submissions = ctx.quick ? 10 : SUBMISSIONS
    const firsts: number[] = []
    const one = await loadSubmission((await writeFlow(ctx.dir, 'w8-one', ctx.wasm, {
      functions: { double: { wasm: WASM_FILE, export: 'double' } },
      sources: { one: { type: 'values', values: [21] } },
      stages: { d: { function: 'double', input: 'one' } },
      sinks: { out: { type: 'stdout', input: 'd' } }
    })).path)
    for (let i = 0; i < submissions; i++) {
      const began = performance.now()
      let first: number | undefined
      const capture: SinkWriter = { keepsWrites: true, write: async () => { first ??= performance.now() - began }, close: async () => {} }
      const run = await submitRun(client, one, {}, spec => ({ spec, openSource, openSink: async () => capture }))
      const outcome = await run.outcome
      if (outcome.kind !== 'done' || !outcome.summary.ok || first == null) throw new Error(`W8 one-job flow ${i} did not deliver its result`)
      firsts.push(first)
    }
    firsts.sort((a, b) => a - b)
    const p50 = percentile(firsts, 50)
    const p99 = percentile(firsts, 99)
    ctx.log(`W8 submit → first result: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${submissions}`)

    const jobs = ctx.quick ? 5000 : 100_000
    const flows = await Promise.all(['w8-a', 'w8-b'].map(async name => await writeMapFlow(ctx.dir, name, ctx.wasm, 'double', { start: 0, end: jobs }, 'jsonl')))
    const subs = await Promise.all(flows.map(async f => await loadSubmission(f.path)))
    const terminal = new Terminal()
    const components = (spec: FlowSpec): ClientRunComponents => ({ spec, openSource, openSink: async (name, resume) => await openSink(spec.sinks[name], terminal, resume) })
    const timed = async (index: number): Promise<number> => {
      const began = performance.now()
      const run = await submitRun(client!, subs[index], {}, components)
      const outcome = await run.outcome
      if (outcome.kind !== 'done' || !outcome.summary.ok) throw new Error('W8 W1 flow did not succeed')
      const ms = performance.now() - began
      const out = await jsonlNumbers(join(flows[index].dir, 'out.jsonl'))
      expectEqual('W8 outputs', out.count, jobs)
      expectEqual('W8 sum', out.sum, jobs * (jobs - 1))
      return ms
    }
    const alone: number[] = []
    const together: number[] = []
    const shares: number[] = []
    for (let r = 1; r <= ctx.runs; r++) {
      const aloneMs = await timed(0)
      const [a, b] = await Promise.all([timed(0), timed(1)])
      alone.push(jobs / (aloneMs / 1000))
      together.push(2 * jobs / (Math.max(a, b) / 1000))
      // a run's share: its rate over the two rates' sum while both ran
      shares.push((1 / a) / (1 / a + 1 / b))
      ctx.log(`W8 run ${r}/${ctx.runs}: one W1 flow alone ${Math.round(alone[r - 1])}/s, two at once ${Math.round(together[r - 1])}/s together (first's share ${shares[r - 1].toFixed(2)})`)
    }
    const aloneS = summarize(alone)
    const togetherS = summarize(together)
    const shared = ratio(togetherS, aloneS)
    return {
      id: 'W8',
      title: 'standing grid: submit latency and two flows at once',
      params: { submissions, workers: WORKERS, threadsPerWorker: 1, w1Jobs: jobs },
      figures: {
        firstResultP50: figure(summarize([p50]), 'ms', `submit → first result of a one-job flow, p50 of ${submissions}`),
        firstResultP99: figure(summarize([p99]), 'ms', `submit → first result of a one-job flow, p99 of ${submissions}`),
        alone: figure(aloneS, 'jobs/s', `one W1 flow (${jobs} jobs) submitted alone`),
        together: figure(togetherS, 'jobs/s', 'two W1 flows submitted at once, jobs of both over the longer one\'s time'),
        share: figure(summarize(shares), 'fraction', 'the first flow\'s share of the jobs/s while both ran (0.5: fair)')
      },
      ratios: { togetherToAlone: { ...shared, description: 'two flows at once / one alone' } },
      targets: [
        target('W8', 'submit → first result p50 < 100 ms', `< ${W8_P50_MS}`, p50, 'ms', p50 < W8_P50_MS),
        target('W8', 'two W1 flows together ≥ 0.9 of one alone', `≥ ${W8_SHARED_TARGET}`, shared.value, 'ratio', shared.value >= W8_SHARED_TARGET)
      ],
      notes: []
    }
  } finally {
    await client?.stop()
    await stopAll([...workers, serve])
  }
}
