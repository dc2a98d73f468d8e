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
import type { ChunkRecord, JobRecord, JournalEntry, RunJournal, SinkRecord } from '../../../core/journal/journal.js'
import { encodeEntry } from '../../../core/journal/journal-codec.js'
import { ResumePoint } from '../../../core/journal/resume-point.js'
import { perItem } from '../../helpers/chunk-jobs.js'
import { chunkOutcome, packOutputs, unpackOutputs } from '../../../core/protocol/packed-outputs.js'

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
    chunksDone (chunks: readonly ChunkRecord[]) { if (chunks.length > 0) entries.push({ kind: 'chunks', chunks: [...chunks] }) },
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
async function work (run: FlowRun, done: Promise<unknown>, answer: (job: Job) => JobOutcome | undefined = job => perItem(job, double), worker = 'w'): Promise<Job[]> {
  let settled = false
  void done.finally(() => { settled = true })
  const all: Job[] = []
  for (let round = 0; round < 20_000 && !settled; round++) {
    const jobs = run.takeJobs(4, worker)
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
  it('hands a range out as chunks that grow with the measured cost: every item reaches the sink once; each chunk is one chunk record, its outputs in item order', async () => {
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
    const chunks = journal.entries.flatMap(e => e.kind === 'chunks' ? e.chunks : [])
    assert.equal(chunks.length, jobs.length, 'one record per chunk')
    assert.deepEqual(sorted(chunks.flatMap(c => c.outputs.map(o => decodeValue(o.bytes) as number))), doubled(N))
    for (const c of chunks) assert.deepEqual(c.outputs.map(o => decodeValue(o.bytes)), Array.from({ length: c.count }, (_, i) => 2 * (c.start + i * c.step)), 'outputs in item order')
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

  it('a resumed run replays the journaled chunks and cuts only the gaps: nothing journaled runs again, each item reaches the sink once', async () => {
    const N = 100_000
    const first = sinkOf()
    const journal = journalOf()
    await interrupted(runOf(flow(N), { out: first }, { journal }), N / 2)
    assert.ok(first.items.length > 0 && first.items.length < N, `${first.items.length} written before the cut`)
    const point = resumePoint(journal)
    assert.ok(point.chunkCount > 0 && point.chunkItemCount < N, `${point.chunkCount} chunks journaled`)
    const second = sinkOf()
    const resumed = runOf(flow(N), { out: second }, { resume: point })
    const done = resumed.run()
    const jobs = await work(resumed, done)
    const summary = await done
    assert.equal(summary.ok, true)
    assert.equal(summary.stages.double.done, N)
    assert.equal(summary.stages.double.replayed, point.chunkItemCount, 'every journaled chunk replayed')
    assert.equal(summary.resumed?.jobsReplayed, point.chunkItemCount)
    assert.equal(jobs.reduce((n, job) => n + itemsOf(job), 0), N - point.chunkItemCount, 'only the gaps ran')
    assert.equal(point.skipped, first.items.length, 'every item written before the cut is skipped once')
    assert.deepEqual(sorted([...first.items, ...second.items]), doubled(N), 'the two runs together wrote each item once')
  })

  it('interrupted twice, with an item failing inside a chunk: the split chunks and the item retried alone are journaled as chunks and replayed', async () => {
    const N = 100_000
    const failing = 3333
    let failures = 0
    const flaky = (chunkOrJob: Job): JobOutcome => perItem(chunkOrJob, job => {
      if (decodeValue(job.input) === failing && failures++ === 0) return { id: job.id, ok: false, error: { name: 'WasmTrapError', message: 'once' } }
      return double(job)
    })
    const journal = journalOf()
    const sinks = [sinkOf(), sinkOf(), sinkOf()]
    await interrupted(runOf(flow(N), { out: sinks[0] }, { journal }), N / 4, flaky, () => failures === 2)
    assert.equal(failures, 2, 'the item failed once and ran again alone')
    assert.equal(journal.entries.filter(e => e.kind === 'jobs').length, 0, 'no job record: the item retried alone is a chunk of one')
    const once = resumePoint(journal)
    assert.deepEqual(once.chunksWithin('double', { start: failing, count: 1, step: 1 }).map(c => [c.start, c.count]), [[failing, 1]])
    // the resumed run journals its own chunks (not the replayed ones) into the same journal, and is cut again
    await interrupted(runOf(flow(N), { out: sinks[1] }, { journal, resume: once }), N / 5)
    const twice = resumePoint(journal)
    assert.ok(twice.chunkItemCount > once.chunkItemCount && twice.chunkItemCount < N, `${once.chunkItemCount} then ${twice.chunkItemCount} items journaled`)
    const last = runOf(flow(N), { out: sinks[2] }, { resume: twice })
    const done = last.run()
    const jobs = await work(last, done)
    const summary = await done
    assert.equal(summary.ok, true)
    assert.equal(summary.stages.double.replayed, twice.chunkItemCount, 'both runs\' chunks replayed: their intervals do not overlap')
    assert.equal(jobs.reduce((n, job) => n + itemsOf(job), 0), N - twice.chunkItemCount)
    assert.deepEqual(sorted(sinks.flatMap(sink => sink.items)), doubled(N), 'the three runs together wrote each item once')
  })

  it('a pinned stage\'s chunks replay with the member that ran them: its tagged sink items are skipped, not written twice', async () => {
    const N = 50_000
    const pinned = (): FlowSpec => {
      const spec = flow(N)
      return { ...spec, clusters: { gpu: { name: 'gpu', labels: ['gpu'] } }, stages: { double: { ...spec.stages.double, cluster: 'gpu' } } } as unknown as FlowSpec
    }
    const member = 'worker/g'
    const journal = journalOf()
    const first = sinkOf()
    const cut = runOf(pinned(), { out: first }, { journal })
    cut.join(member, { labels: ['gpu'] })
    await interrupted(cut, N / 3, undefined, undefined, member)
    const tags = journal.entries.flatMap(e => e.kind === 'sink' ? e.record.tags ?? [] : [])
    assert.ok(tags.length > 0 && tags.every(t => t === member), 'sink items carry the member\'s tag')
    const point = resumePoint(journal)
    assert.ok(point.chunkCount > 0)
    const second = sinkOf()
    const resumed = runOf(pinned(), { out: second }, { resume: point })
    resumed.join(member, { labels: ['gpu'] })
    const done = resumed.run()
    await work(resumed, done, undefined, member)
    const summary = await done
    assert.equal(summary.ok, true)
    assert.equal(summary.stages.double.replayed, point.chunkItemCount)
    assert.equal(point.skipped, first.items.length, 'the replayed tagged items were recognised as written')
    assert.deepEqual(sorted([...first.items, ...second.items]), doubled(N))
  })

  it('a worker whose hello does not offer chunks gets none of a chunked stage\'s work: the run says so once per worker and counts it', async () => {
    const out = sinkOf()
    const run = runOf(flow(1000), { out })
    const told: Array<[string, readonly string[]]> = []
    run.join('old', { labels: [], threads: 1, chunks: false })
    run.onChunkless((worker, stages) => { told.push([worker, stages]) })
    assert.deepEqual(told, [['old', ['double']]], 'a worker that joined before the listener is told at once')
    run.join('new', { labels: [], threads: 1, chunks: true })
    const done = run.run()
    await new Promise<void>(resolve => { const off = run.onWork(() => { off(); resolve() }) })
    assert.ok(run.queued > 0, 'work is waiting')
    assert.deepEqual(run.takeJobs(4, 'old', true), [], 'none for the old worker')
    assert.equal(run.takeJobs(1, 'new', true).length, 1, 'the new worker gets a chunk')
    run.release('new')
    run.release('old')
    run.join('old', { labels: [], threads: 1, chunks: false })
    run.join('older', { labels: [], threads: 1, chunks: false })
    assert.deepEqual(told, [['old', ['double']], ['older', ['double']]], 'a re-join under the same name is not news')
    assert.equal(run.progress().workersWithoutChunks, 2)
    await work(run, done)
    const summary = await done
    assert.equal(summary.ok, true)
    assert.equal(summary.workersWithoutChunks, 2)
    assert.deepEqual(sorted(out.items), doubled(1000))
  })

  it('a run with nothing chunked says nothing about workers without chunks', async () => {
    const run = runOf(flow(10, true), { out: sinkOf(), raw: sinkOf() })
    let told = 0
    run.onChunkless(() => { told++ })
    run.join('old', { labels: [], threads: 1, chunks: false })
    const done = run.run()
    await work(run, done)
    const summary = await done
    assert.equal(told, 0)
    assert.equal(summary.workersWithoutChunks, undefined)
    assert.equal(run.progress().workersWithoutChunks, undefined)
  })
})

const header = { format: JOURNAL_FORMAT, name: 'chunks', fingerprint: { flow: 'f', modules: {}, inputs: {} }, started: 0 }

/** A chunk's outcome as it comes off the wire: its outputs packed (chunkOutcome). */
function packedAnswer (job: Job): JobOutcome {
  const o = perItem(job, double)
  return o.ok && o.ms != null ? chunkOutcome(o.id, packOutputs(o.outputs), o.ms) : o
}

describe('FlowRun with packed chunk outcomes', () => {
  it('a stage only sinks read sends each chunk to them as one block: a sink that takes blocks gets them, another gets the items; both are journaled as they came', async () => {
    const N = 100_000
    const blocks: number[] = []
    const out: SinkWriter & { items: number[] } = { ...sinkOf(), async writeBlocks (bs: readonly Uint8Array[]) { for (const b of bs) for (const o of unpackOutputs(b)) blocks.push(decodeValue(o.bytes) as number) } }
    const spec = flow(N)
    const plainSink = sinkOf()
    const twoSinks = { ...spec, sinks: { ...spec.sinks, copy: { kind: 'stdout', name: 'copy', inputs: ['double'] } } } as unknown as FlowSpec
    const journal = journalOf()
    const run = runOf(twoSinks, { out, copy: plainSink }, { journal })
    const done = run.run()
    await work(run, done, packedAnswer)
    const summary = await done
    assert.equal(summary.ok, true)
    assert.equal(out.items.length, 0, 'the sink that takes blocks got no item one by one')
    assert.deepEqual(sorted(blocks), doubled(N))
    assert.deepEqual(sorted(plainSink.items), doubled(N), 'a sink without writeBlocks gets every item')
    assert.equal(summary.stages.double.emitted, N)
    const chunks = journal.entries.flatMap(e => e.kind === 'chunks' ? e.chunks : [])
    assert.ok(chunks.length > 0 && chunks.every(c => c.packed != null), 'chunk records keep the packed bytes')
    const written = (sink: string): number => journal.entries.reduce((n, e) => n + (e.kind === 'sink' && e.record.sink === sink ? e.record.items.length + (e.record.blocks ?? []).reduce((k, b) => k + unpackOutputs(b).length, 0) : 0), 0)
    assert.equal(written('out'), N)
    assert.equal(written('copy'), N)
  })

  it('interrupted and resumed with packed outcomes: each item reaches the sink once', async () => {
    const N = 100_000
    const first = sinkOf()
    const journal = journalOf()
    await interrupted(runOf(flow(N), { out: first }, { journal }), N / 2, packedAnswer)
    const point = resumePoint(journal)
    assert.ok(point.chunkCount > 0 && point.sinkItemCount === first.items.length, `${point.chunkCount} chunks, ${point.sinkItemCount} sink items journaled`)
    const second = sinkOf()
    const resumed = runOf(flow(N), { out: second }, { resume: point })
    const done = resumed.run()
    await work(resumed, done, packedAnswer)
    assert.equal((await done).ok, true)
    assert.equal(point.skipped, first.items.length)
    assert.deepEqual(sorted([...first.items, ...second.items]), doubled(N), 'the two runs together wrote each item once')
  })

  it('packed outputs on a port the stage lacks fail the attempt as unpacked ones do', async () => {
    const run = runOf(flow(1000), { out: sinkOf() })
    const done = run.run()
    await work(run, done, job => job.chunk == null ? double(job) : chunkOutcome(job.id, packOutputs([{ port: 1, bytes: encodeValue(1) }]), 1))
    const summary = await done
    assert.equal(summary.ok, false)
    assert.match(summary.failure?.error.message ?? '', /emitted on port 1, but stage "double" has 1 output/)
  })
})

function resumePoint (journal: { entries: JournalEntry[] }): ResumePoint {
  return new ResumePoint(header, journal.entries.map(encodeEntry))
}

const itemsOf = (job: Job): number => job.chunk != null ? (decodeValue(job.input) as number[])[1] : 1

/**
 * Runs `run` until at least `items` items were answered (and `also` holds), then stops it (Ctrl-C): the jobs
 * out then are lost.
 */
async function interrupted (run: FlowRun, items: number, answer: (job: Job) => JobOutcome = job => perItem(job, double), also = (): boolean => true, worker = 'w'): Promise<void> {
  const stop = new AbortController()
  const done = run.run({ signal: stop.signal }).then(() => assert.fail(`the run ended before ${items} items were answered`), err => { assert.equal((err as Error).name, 'RunAbortedError') })
  let answered = 0
  await work(run, done, job => {
    if (answered >= items && also()) { stop.abort(); return undefined }
    answered += itemsOf(job)
    return answer(job)
  }, worker)
  await done
}
