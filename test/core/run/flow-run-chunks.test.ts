/**
 * Chunks in FlowRun (core/run/chunks.ts): a range source read only by a map stage is handed out as chunks that
 * the worker expands. Fake workers run them item by item in JavaScript (test/helpers/chunk-jobs.ts), reporting
 * the time as executors do, so the sizer grows the chunks as it would on a real grid.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { buildGraph } from '../../../core/flow/graph.js'
import type { FlowSpec } from '../../../core/flow/model.js'
import { FlowRun } from '../../../core/run/flow-run.js'
import type { SinkWriter } from '../../../core/run/flow-run.js'
import { RangeCursor } from '../../../core/run/sources.js'
import type { Job, JobOutcome } from '../../../core/jobs.js'
import { JOURNAL_FORMAT } from '../../../core/journal/journal.js'
import type { JobRecord, JournalEntry, RunJournal, SinkRecord } from '../../../core/journal/journal.js'
import { encodeEntry } from '../../../core/journal/journal-codec.js'
import { ResumePoint } from '../../../core/journal/resume-point.js'
import { perItem } from '../../helpers/chunk-jobs.js'

/** range 0..n → double → `out` (and, with `alsoSink`, the range straight to a second sink). */
function flow (n: number, alsoSink = false): FlowSpec {
  return {
    name: 'chunks',
    file: 'flow.json',
    functions: { double: { name: 'double', wasm: 'm.wasm', export: 'double' } },
    sources: { n: { kind: 'range', name: 'n', start: 0, end: n, step: 1 } },
    stages: { double: { kind: 'map', name: 'double', function: 'double', inputs: ['n'], outputs: ['out'], timeoutMs: 10_000, retries: 1 } },
    sinks: { out: { kind: 'stdout', name: 'out', inputs: ['double'] }, ...(alsoSink ? { raw: { kind: 'stdout', name: 'raw', inputs: ['n'] } } : {}) }
  } as unknown as FlowSpec
}

const double = (job: Job): JobOutcome => ({ id: job.id, ok: true, outputs: [{ port: 0, bytes: encodeValue((decodeValue(job.input) as number) * 2) }] })

function sinkOf (): SinkWriter & { items: number[] } {
  const sink = { items: [] as number[], keepsWrites: true, async write (items: readonly Uint8Array[]) { for (const i of items) sink.items.push(decodeValue(i) as number) }, async close () {} }
  return sink
}

function journalOf (): RunJournal & { entries: JournalEntry[] } {
  const entries: JournalEntry[] = []
  return {
    entries,
    jobsDone (jobs: readonly JobRecord[]) { if (jobs.length > 0) entries.push({ kind: 'jobs', jobs: [...jobs] }) },
    sinkWritten (record: SinkRecord) { entries.push({ kind: 'sink', record }) },
    async close () {}
  } as unknown as RunJournal & { entries: JournalEntry[] }
}

function runOf (spec: FlowSpec, sinks: Record<string, SinkWriter>, extra: { journal?: RunJournal, resume?: ResumePoint } = {}): FlowRun {
  return new FlowRun({
    spec,
    graph: buildGraph(spec),
    functions: new Map([['double', { module: 'm', export: 'double' }]]),
    openSource: s => new RangeCursor(s as Extract<typeof s, { kind: 'range' }>),
    openSink: async s => sinks[s.name],
    ...extra
  })
}

/** Takes and answers jobs until the run ends (bounded); returns every job it was given. */
async function work (run: FlowRun, done: Promise<unknown>, answer: (job: Job) => JobOutcome | undefined = job => perItem(job, double)): Promise<Job[]> {
  let settled = false
  void done.finally(() => { settled = true })
  const all: Job[] = []
  for (let round = 0; round < 20_000 && !settled; round++) {
    const jobs = run.takeJobs(4, 'w')
    all.push(...jobs)
    const outcomes = jobs.map(answer).filter((o): o is JobOutcome => o != null)
    if (outcomes.length > 0) run.complete(outcomes)
    await new Promise(resolve => setImmediate(resolve))
  }
  assert.ok(settled, 'the run ended')
  return all
}

const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b)
const doubled = (n: number): number[] => Array.from({ length: n }, (_, i) => 2 * i)

describe('FlowRun with chunks', () => {
  it('hands a range out as chunks that grow with the measured cost: every item reaches the sink once; chunks are not journaled, sink writes are', async () => {
    const N = 200_000
    const out = sinkOf()
    const journal = journalOf()
    const run = runOf(flow(N), { out }, { journal })
    const done = run.run()
    const jobs = await work(run, done)
    const summary = await done
    assert.equal(summary.ok, true)
    assert.deepEqual(sorted(out.items), doubled(N))
    assert.equal(summary.stages.double.done, N, 'done counts items')
    assert.ok(jobs.every(job => job.chunk === 'range'))
    assert.ok(jobs.length < N / 50, `${jobs.length} jobs for ${N} items`)
    assert.equal(journal.entries.filter(e => e.kind === 'jobs').length, 0, 'no job records for chunks')
    assert.equal(journal.entries.reduce((n, e) => n + (e.kind === 'sink' ? e.record.items.length : 0), 0), N, 'every sink item journaled')
  })

  it('a chunk whose worker left runs again whole, and its items still reach the sink once', async () => {
    const out = sinkOf()
    const run = runOf(flow(1000), { out })
    const done = run.run()
    await new Promise<void>(resolve => { const off = run.onWork(() => { off(); resolve() }) })
    const lost = run.takeJobs(3, 'gone')
    assert.equal(lost.length, 3)
    run.release('gone')
    // a late answer of the worker that left is ignored
    run.complete(lost.map(job => perItem(job, double)))
    await work(run, done)
    assert.equal((await done).ok, true)
    assert.deepEqual(sorted(out.items), doubled(1000))
  })

  it('an item failing inside a chunk is retried alone; the rest of its chunk is not lost', async () => {
    const out = sinkOf()
    const run = runOf(flow(5000), { out })
    const done = run.run()
    let failures = 0
    await work(run, done, chunkOrJob => perItem(chunkOrJob, job => {
      if (decodeValue(job.input) === 3333 && failures++ === 0) return { id: job.id, ok: false, error: { name: 'WasmTrapError', message: 'once' } }
      return double(job)
    }))
    const summary = await done
    assert.equal(summary.ok, true)
    assert.equal(summary.stages.double.retried, 1)
    assert.deepEqual(sorted(out.items), doubled(5000))
  })

  it('a range that a sink also reads is not split: its items travel one by one', async () => {
    const out = sinkOf()
    const raw = sinkOf()
    const run = runOf(flow(300, true), { out, raw })
    const done = run.run()
    const jobs = await work(run, done)
    assert.equal((await done).ok, true)
    assert.equal(jobs.length, 300)
    assert.ok(jobs.every(job => job.chunk == null))
    assert.deepEqual(sorted(raw.items), Array.from({ length: 300 }, (_, i) => i))
  })

  it('a resumed run cuts its chunks anew and runs them; the sink skips what it had written: each item once', async () => {
    const N = 100_000
    const first = sinkOf()
    const journal = journalOf()
    const cut = runOf(flow(N), { out: first }, { journal })
    const stop = new AbortController()
    const cutDone = cut.run({ signal: stop.signal }).catch(() => undefined)
    let answered = 0
    await work(cut, cutDone, job => {
      if (answered >= N / 2) { stop.abort(); return undefined }
      answered += job.chunk != null ? (decodeValue(job.input) as number[])[1] : 1
      return perItem(job, double)
    })
    await cutDone
    assert.ok(first.items.length > 0 && first.items.length < N, `${first.items.length} written before the cut`)
    const header = { format: JOURNAL_FORMAT, name: 'chunks', fingerprint: { flow: 'f', modules: {}, inputs: {} }, started: 0 }
    const point = new ResumePoint(header, journal.entries.map(encodeEntry))
    const second = sinkOf()
    const resumed = runOf(flow(N), { out: second }, { resume: point })
    const done = resumed.run()
    await work(resumed, done)
    const summary = await done
    assert.equal(summary.ok, true)
    assert.equal(summary.stages.double.done, N)
    assert.equal(point.skipped, first.items.length, 'every item written before the cut is skipped once')
    assert.deepEqual(sorted([...first.items, ...second.items]), doubled(N), 'the two runs together wrote each item once')
  })
})
