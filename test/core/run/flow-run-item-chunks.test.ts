/**
 * Item chunks and worker-side combining in FlowRun (core/run/item-chunks.ts, combiner.ts): a `lines` source
 * read only by a map stage is handed out in chunks of lines; the map's outputs read only by an aggregate are
 * combined per key by whoever runs the chunk. Fake workers run the functions in JavaScript as an executor
 * would (test/helpers/chunk-jobs.ts, then combineOutputs), so the run sizes and splits its chunks for real.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { buildGraph } from '../../../core/flow/graph.js'
import type { FlowSpec } from '../../../core/flow/model.js'
import { FlowRun } from '../../../core/run/flow-run.js'
import type { SinkWriter } from '../../../core/run/flow-run.js'
import { ValuesCursor } from '../../../core/run/sources.js'
import type { SourceCursor } from '../../../core/run/sources.js'
import type { Job, JobOutcome } from '../../../core/jobs.js'
import { combineOutputs } from '../../../core/run/combiner.js'
import { perItem } from '../../helpers/chunk-jobs.js'
import { chunkOutcome, packOutputs } from '../../../core/protocol/packed-outputs.js'
import type { ChunkRecord, JobRecord, RunJournal } from '../../../core/journal/journal.js'

const WORDS = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran', 'far']
/** Line i: a few words chosen by i (deterministic), so keys repeat within and across chunks. */
const lineOf = (i: number): string => Array.from({ length: 1 + (i % 7) }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ')

/** `text` (lines, or values with the same lines) → split → count (sum) → counts; with `alsoSink`, the lines to a sink too. */
function flow (kind: 'lines' | 'values', n: number, alsoSink = false): FlowSpec {
  const lines = Array.from({ length: n }, (_, i) => lineOf(i))
  return {
    name: 'wc',
    file: 'flow.json',
    functions: { split: { name: 'split', wasm: 'm.wasm', export: 'split' }, sum: { name: 'sum', wasm: 'm.wasm', export: 'sum' } },
    sources: { text: kind === 'lines' ? { kind: 'lines', name: 'text', path: 'in.txt', lines } : { kind: 'values', name: 'text', values: lines } },
    stages: {
      split: { kind: 'map', name: 'split', function: 'split', inputs: ['text'], outputs: ['out'], timeoutMs: 10_000, retries: 1 },
      count: { kind: 'aggregate', name: 'count', function: 'sum', inputs: ['split'], outputs: ['out'], timeoutMs: 10_000, retries: 1 }
    },
    sinks: { counts: { kind: 'stdout', name: 'counts', inputs: ['count'] }, ...(alsoSink ? { raw: { kind: 'stdout', name: 'raw', inputs: ['text'] } } : {}) }
  } as unknown as FlowSpec
}

/** The lines kept on the spec above, read `max` at a time as the file cursor reads them. */
function openSource (spec: FlowSpec['sources'][string]): SourceCursor {
  const s = spec as unknown as { kind: string, lines?: string[], values?: string[] }
  return new ValuesCursor(s.lines ?? s.values ?? [])
}

const split = (job: Job): JobOutcome => ({ id: job.id, ok: true, outputs: (decodeValue(job.input) as string).split(' ').map(w => ({ port: 0, bytes: encodeValue([w, 1]) })) })
const sum = (job: Job): JobOutcome => ({ id: job.id, ok: true, outputs: [{ port: 0, bytes: encodeValue((decodeValue(job.input) as number[]).reduce((a, b) => a + b, 0)) }] })

/** Runs a job as a worker does: a chunk item by item (`one` for the map), then its combiners. */
async function answer (job: Job, one: (job: Job) => JobOutcome = split): Promise<JobOutcome> {
  if (job.fn.export === 'sum') return sum(job)
  const outcome = perItem(job, one)
  if (!outcome.ok || job.combine == null) return outcome
  const outputs = await combineOutputs(outcome.outputs, job.combine, (fn, input) => {
    const combined = sum({ id: 0, fn, input, timeoutMs: 0 })
    return combined.ok ? combined.outputs : []
  })
  return { ...outcome, outputs }
}

function sinkOf (): SinkWriter & { items: unknown[] } {
  const sink = { items: [] as unknown[], keepsWrites: true, async write (items: readonly Uint8Array[]) { for (const i of items) sink.items.push(decodeValue(i)) }, async close () {} }
  return sink
}

function runOf (spec: FlowSpec, sinks: Record<string, SinkWriter>, journal?: RunJournal): FlowRun {
  return new FlowRun({
    spec,
    graph: buildGraph(spec),
    functions: new Map([['split', { module: 'm', export: 'split' }], ['sum', { module: 'm', export: 'sum' }]]),
    openSource,
    openSink: async s => sinks[s.name],
    ...(journal != null ? { journal } : {})
  })
}

/** Takes and answers jobs until the run ends (bounded); returns every job it was given. */
async function work (run: FlowRun, done: Promise<unknown>, respond: (job: Job) => Promise<JobOutcome | undefined> = answer): Promise<Job[]> {
  let settled = false
  void done.finally(() => { settled = true })
  const all: Job[] = []
  for (let round = 0; round < 20_000 && !settled; round++) {
    const jobs = run.takeJobs(4, 'w')
    all.push(...jobs)
    const outcomes = (await Promise.all(jobs.map(async job => await respond(job)))).filter((o): o is JobOutcome => o != null)
    if (outcomes.length > 0) run.complete(outcomes)
    await new Promise(resolve => setImmediate(resolve))
  }
  assert.ok(settled, 'the run ended')
  return all
}

const counts = (items: unknown[]): Map<string, number> => new Map(items as Array<[string, number]>)
function expectedCounts (n: number): Map<string, number> {
  const m = new Map<string, number>()
  for (let i = 0; i < n; i++) for (const w of lineOf(i).split(' ')) m.set(w, (m.get(w) ?? 0) + 1)
  return m
}

describe('FlowRun with item chunks', () => {
  it('a lines source goes out in chunks of lines, combined per key on the worker: the counts equal a run item by item', async () => {
    const N = 30_000
    const chunked = sinkOf()
    const run = runOf(flow('lines', N), { counts: chunked })
    const done = run.run()
    const jobs = await work(run, done)
    const summary = await done
    assert.equal(summary.ok, true)
    const chunks = jobs.filter(j => j.fn.export === 'split')
    assert.ok(chunks.every(j => j.chunk === 'items' && j.combine?.length === 1 && j.combine[0].port === 0 && j.combine[0].fn.export === 'sum'), 'item chunks carrying the aggregate\'s combiner')
    assert.ok(chunks.length < N / 50, `${chunks.length} jobs for ${N} lines`)
    assert.equal(summary.stages.split.done, N, 'done counts lines')
    const words = [...expectedCounts(N).values()].reduce((a, b) => a + b, 0)
    assert.ok(summary.stages.split.emitted < words / 20, `the aggregate received ${summary.stages.split.emitted} partials for ${words} words`)

    const plain = sinkOf()
    const byItem = runOf(flow('values', N), { counts: plain })
    const byItemDone = byItem.run()
    const plainJobs = await work(byItem, byItemDone)
    assert.equal((await byItemDone).ok, true)
    assert.ok(plainJobs.every(j => j.chunk == null && j.combine == null), 'a values source is not chunked')
    assert.deepEqual(counts(chunked.items), counts(plain.items), 'combining changes nothing in the result')
    assert.deepEqual(counts(chunked.items), expectedCounts(N))
  })

  it('packed chunk outcomes (as from the wire) fold into the aggregate in place: the counts are the same; a non-pair fails the run naming the aggregate', async () => {
    const N = 30_000
    const packed = async (job: Job): Promise<JobOutcome> => {
      const o = await answer(job)
      return o.ok && o.ms != null ? chunkOutcome(o.id, packOutputs(o.outputs), o.ms) : o
    }
    const out = sinkOf()
    const run = runOf(flow('lines', N), { counts: out })
    const done = run.run()
    await work(run, done, packed)
    assert.equal((await done).ok, true)
    assert.deepEqual(counts(out.items), expectedCounts(N))

    const bad = runOf(flow('lines', 1000), { counts: sinkOf() })
    const badDone = bad.run()
    await work(bad, badDone, async job => job.fn.export === 'split' && job.chunk != null ? chunkOutcome(job.id, packOutputs([{ port: 0, bytes: encodeValue(['the', 1]) }, { port: 0, bytes: encodeValue('not a pair') }]), 1) : await answer(job))
    const summary = await badDone
    assert.equal(summary.ok, false)
    assert.equal(summary.failure?.stage, 'count')
    assert.match(summary.failure?.error.message ?? '', /aggregates \[key, value\] pairs, but received/)
  })

  it('reads the next piece of a split file while a piece\'s worth still waits, so workers never wait for the read', async () => {
    const N = 200_000
    const run = runOf(flow('lines', N), { counts: sinkOf() })
    const stop = new AbortController()
    const done = run.run({ signal: stop.signal }).catch(err => err)
    try {
      for (let i = 0; i < 100 && run.queued < 65_536; i++) await new Promise(resolve => setImmediate(resolve))
      assert.equal(run.queued, 65_536, 'one piece read, and no more while it all waits')
      const taken = run.takeJobs(1, 'w')
      assert.equal(taken.length, 1)
      run.complete([(await answer(taken[0]))!])
      for (let i = 0; i < 100 && run.queued <= 65_536; i++) await new Promise(resolve => setImmediate(resolve))
      assert.ok(run.queued > 65_536, `the next piece is read once any of the first is cut (${run.queued} lines wait)`)
    } finally {
      stop.abort()
    }
    assert.equal((await done as Error).name, 'RunAbortedError')
  })

  it('a line failing inside a chunk is retried alone; the rest of its chunk is not lost', async () => {
    const out = sinkOf()
    const run = runOf(flow('lines', 5000), { counts: out })
    const done = run.run()
    let failed = false
    await work(run, done, async job => await answer(job, one => {
      if (failed || decodeValue(one.input) !== lineOf(3333)) return split(one)
      failed = true
      return { id: one.id, ok: false, error: { name: 'WasmTrapError', message: 'once' } }
    }))
    const summary = await done
    assert.equal(summary.ok, true)
    assert.equal(summary.stages.split.retried, 1)
    assert.deepEqual(counts(out.items), expectedCounts(5000))
  })

  it('a line failing every time fails the run naming that line', async () => {
    const run = runOf(flow('lines', 2000), { counts: sinkOf() })
    const done = run.run()
    await work(run, done, async job => await answer(job, one => decodeValue(one.input) === lineOf(1500) ? { id: one.id, ok: false, error: { name: 'WasmTrapError', message: 'always' } } : split(one)))
    const summary = await done
    assert.equal(summary.ok, false)
    assert.equal(summary.failure?.stage, 'split')
    assert.equal(summary.failure?.input, JSON.stringify(lineOf(1500)))
    assert.match(summary.failure?.error.message ?? '', /always/)
  })

  it('a chunk whose worker left runs again whole; its lines still count once', async () => {
    const out = sinkOf()
    const run = runOf(flow('lines', 1000), { counts: out })
    const done = run.run()
    await new Promise<void>(resolve => { const off = run.onWork(() => { off(); resolve() }) })
    const lost = run.takeJobs(3, 'gone')
    assert.ok(lost.length > 0)
    run.release('gone')
    run.complete(await Promise.all(lost.map(job => answer(job))))
    await work(run, done)
    assert.equal((await done).ok, true)
    assert.deepEqual(counts(out.items), expectedCounts(1000))
  })

  it('a lines source that a sink also reads is not split: its lines travel one by one', async () => {
    const out = sinkOf()
    const raw = sinkOf()
    const run = runOf(flow('lines', 300, true), { counts: out, raw })
    const done = run.run()
    const jobs = await work(run, done)
    assert.equal((await done).ok, true)
    assert.ok(jobs.every(job => job.chunk == null))
    assert.equal(raw.items.length, 300)
    assert.deepEqual(counts(out.items), expectedCounts(300))
  })

  it('item chunks are not journaled (a resumed run reads the file again); a line retried alone is a job record', async () => {
    const jobs: JobRecord[] = []
    const chunks: ChunkRecord[] = []
    const journal = {
      jobsDone (records: readonly JobRecord[]) { jobs.push(...records) },
      chunksDone (records: readonly ChunkRecord[]) { chunks.push(...records) },
      sinkWritten () {},
      async close () {}
    } as unknown as RunJournal
    const out = sinkOf()
    const run = runOf(flow('lines', 2000), { counts: out }, journal)
    const done = run.run()
    let failed = false
    await work(run, done, async job => await answer(job, one => {
      if (failed || decodeValue(one.input) !== lineOf(1234)) return split(one)
      failed = true
      return { id: one.id, ok: false, error: { name: 'WasmTrapError', message: 'once' } }
    }))
    assert.equal((await done).ok, true)
    assert.deepEqual(chunks, [], 'no chunk records')
    assert.deepEqual(jobs.map(r => [r.stage, decodeValue(r.input)]), [['split', lineOf(1234)]], 'only the line retried alone')
    assert.deepEqual(counts(out.items), expectedCounts(2000))
  })

  it('a worker whose hello lacks item-chunks gets none of the split stage\'s chunks, and the run says so once', async () => {
    const out = sinkOf()
    const run = runOf(flow('lines', 500), { counts: out })
    const told: Array<[string, readonly string[]]> = []
    run.onChunkless((worker, stages) => { told.push([worker, stages]) })
    run.join('old', { labels: [], threads: 1, itemChunks: false })
    run.join('ranges-only', { labels: [], threads: 1, chunks: false })
    run.join('old', { labels: [], threads: 1, itemChunks: false })
    assert.deepEqual(told, [['old', ['split']]], 'told once; a worker without range chunks misses nothing here')
    const done = run.run()
    await new Promise<void>(resolve => { const off = run.onWork(() => { off(); resolve() }) })
    assert.deepEqual(run.takeJobs(4, 'old', true), [], 'none for the worker without item-chunks')
    const taken = run.takeJobs(1, 'ranges-only', true)
    assert.ok(taken.length === 1 && taken[0].chunk === 'items', 'item chunks need no range-chunk feature')
    run.complete([await answer(taken[0])])
    await work(run, done)
    const summary = await done
    assert.equal(summary.ok, true)
    assert.equal(summary.workersWithoutChunks, 1)
    assert.deepEqual(counts(out.items), expectedCounts(500))
  })
})
