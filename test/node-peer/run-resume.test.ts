/**
 * Replay from a journal, on the pure run state with the real example modules: a run is cut off mid-way (jobs
 * out are lost, sink items delivered but not yet written are lost), then resumed from what it journaled.
 * Together, the two runs' sinks hold exactly what one uninterrupted run writes, and the resumed run does
 * not run the journaled jobs again.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { compileModule, FunctionInstance } from '../../core/abi/host.js'
import { buildGraph } from '../../core/flow/graph.js'
import { loadFlow } from '../../core/flow/validate.js'
import type { LoadedFlow } from '../../core/flow/validate.js'
import { JOURNAL_FORMAT } from '../../core/journal/journal.js'
import { encodeEntry } from '../../core/journal/journal-codec.js'
import { ResumePoint } from '../../core/journal/resume-point.js'
import type { JournalEntry } from '../../core/journal/journal.js'
import { RunState } from '../../core/run/run-state.js'
import { itemDeliveries } from '../../core/run/router.js'
import type { ItemDelivery, SinkDelivery } from '../../core/run/router.js'
import type { FunctionRef, Job, JobOutcome } from '../../core/jobs.js'
import { nodeFlowFiles, readFlowFile } from '../../node-peer/flow-files.js'
import { openSource } from '../../node-peer/sources.js'
import { repoRoot } from '../helpers/cli.js'

const latin1 = new TextDecoder('latin1')
const itemKey = (d: ItemDelivery): string => `${d.sink} ${d.tag ?? ''} ${latin1.decode(d.bytes)}`

interface Loaded {
  readonly flow: LoadedFlow
  readonly functions: Map<string, FunctionRef>
  readonly instances: Map<string, FunctionInstance>
}

async function load (example: string): Promise<Loaded> {
  const { file, text } = await readFlowFile(join(repoRoot, 'examples', example, 'flow.json'))
  const flow = await loadFlow(file, text, nodeFlowFiles)
  const functions = new Map<string, FunctionRef>()
  const instances = new Map<string, FunctionInstance>()
  for (const [name, module] of flow.modules) {
    functions.set(name, { module: module.hash, export: flow.spec.functions[name].export })
    if (!instances.has(module.hash)) {
      const compiled = await compileModule(module.bytes)
      instances.set(module.hash, await FunctionInstance.instantiate(compiled.module, compiled.memory))
    }
  }
  return { flow, functions, instances }
}

interface RunResult {
  /** Items the sinks wrote (a crash loses those delivered but not yet written). */
  readonly written: string[]
  readonly executed: number
  readonly replayed: number
  readonly finished: boolean
}

/**
 * Drives a run: sources in chunks, jobs in batches of 8 on the real modules, sink writes journaled every third
 * round. `crashAfter`: stop after that many jobs, as `kill -9` would (unjournaled progress is simply gone).
 */
async function drive (loaded: Loaded, journal: JournalEntry[] | undefined, resume: ResumePoint | undefined, crashAfter = Infinity): Promise<RunResult> {
  const { spec } = loaded.flow
  const state = new RunState({ spec, graph: buildGraph(spec), functions: loaded.functions, highWater: 256, journal: journal != null, resume })
  const cursors = Object.values(spec.sources).map(s => ({ name: s.name, cursor: openSource(s), open: true }))
  const written: string[] = []
  let pending: ItemDelivery[] = []
  let executed = 0
  const deliver = (deliveries: SinkDelivery[] | undefined): void => {
    for (const d of itemDeliveries(deliveries ?? [])) if (resume?.alreadyWritten(d.sink, d.bytes, d.tag) !== true) pending.push(d)
  }
  const flushSinks = (): void => {
    for (const d of pending) written.push(itemKey(d))
    if (pending.length > 0) journal?.push(...pending.map(d => ({ kind: 'sink' as const, record: { sink: d.sink, items: [d.bytes], ...(d.tag != null ? { tags: [d.tag] } : {}) } })))
    pending = []
  }
  for (let round = 0; round < 1_000_000 && !state.isSettled(); round++) {
    for (const c of cursors) {
      if (!c.open) continue
      const items = await c.cursor.read(Math.min(64, state.sourceBudget()))
      if (items.length === 0 && state.sourceBudget() > 0) {
        c.open = false
        deliver(state.sourceExhausted(c.name))
      }
      for (const item of items) deliver(state.offerSourceItem(c.name, item))
    }
    const jobs: Job[] = state.takeJobs(8, 'local')
    if (executed + jobs.length > crashAfter) return { written, executed, replayed: 0, finished: false }
    const outcomes: JobOutcome[] = jobs.map(job => ({ id: job.id, ok: true, outputs: loaded.instances.get(job.fn.module)!.call(job.fn.export, job.input) }))
    executed += jobs.length
    for (const outcome of outcomes) deliver(state.complete(outcome))
    const records = state.takeJournalRecords()
    if (journal != null && records.length > 0) journal.push({ kind: 'jobs', jobs: records })
    if (round % 3 === 2) flushSinks()
  }
  flushSinks()
  for (const c of cursors) await c.cursor.close()
  assert.equal(state.failure, undefined)
  const replayed = Object.values(state.stageCounts()).reduce((n, c) => n + c.replayed, 0)
  return { written, executed, replayed, finished: state.isFinished() }
}

describe('resume from a journal (run state with the example modules)', () => {
  for (const example of ['collatz', 'wordcount']) {
    it(`${example}: interrupted at 40 % and resumed, the sinks hold exactly one run's items; journaled jobs are not run again`, async () => {
      const loaded = await load(example)
      const whole = await drive(loaded, undefined, undefined)
      assert.equal(whole.finished, true)

      const journal: JournalEntry[] = []
      const cut = await drive(loaded, journal, undefined, Math.floor(whole.executed * 0.4))
      assert.equal(cut.finished, false)
      const journaledJobs = journal.reduce((n, e) => n + (e.kind === 'jobs' ? e.jobs.length : 0), 0)
      assert.ok(journaledJobs > 0)

      const header = { format: JOURNAL_FORMAT, name: example, fingerprint: { flow: '', modules: {}, inputs: {} }, started: 0 }
      const point = new ResumePoint(header, journal.map(encodeEntry))
      const resumed = await drive(loaded, [], point)
      assert.equal(resumed.finished, true)

      assert.deepEqual([...cut.written, ...resumed.written].sort(), [...whole.written].sort())
      assert.equal(point.skipped, cut.written.length, 'every item written before the cut is skipped once')
      // jobs of journaled stage inputs replay; only combine jobs (regrouped) and lost work run again
      assert.ok(resumed.replayed >= point.jobCount, `${resumed.replayed} replayed, ${point.jobCount} journaled`)
      assert.ok(resumed.executed <= whole.executed - resumed.replayed + 200, `resumed run executed ${resumed.executed} of ${whole.executed}`)
    })
  }
})
