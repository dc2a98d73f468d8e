/**
 * RunBoard with real FlowRuns and a fake worker that holds a fixed number of jobs (its credits), answers the
 * oldest ones a few at a time and asks again, as network and embedded workers do. Nothing from node-peer: the
 * board's contract on its own — runs share a worker evenly or by weight, a run added later gets jobs at
 * once, late results of a removed run are ignored (also by a worker session), its jobs are recalled, side values of two runs with
 * one name stay apart, and job ids never collide, not even in a reused slot.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { buildGraph } from '../../../core/flow/graph.js'
import type { FlowSpec, SourceSpec } from '../../../core/flow/model.js'
import { RunBoard } from '../../../core/grid/run-board.js'
import type { Job, JobOutcome } from '../../../core/jobs.js'
import type { SessionChannel } from '../../../core/peer/session-channel.js'
import { WorkerSession } from '../../../core/peer/worker-session.js'
import { FEATURE_CHUNKS, FEATURE_ITEM_CHUNKS, FEATURE_RECALL, JOB_PROTOCOL_VERSION, outcomeToWire } from '../../../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerMessage } from '../../../core/protocol/job-messages.js'
import { withSideValue } from '../../../core/protocol/side-values.js'
import { FlowRun } from '../../../core/run/flow-run.js'
import { RangeCursor, ValuesCursor } from '../../../core/run/sources.js'
import { perItem } from '../../helpers/chunk-jobs.js'

/** range 0..n → `mul` (× the side input `k` when `side`; each job on two workers with `verify`) → sink `out`. */
function flow (n: number, side?: number, verify = false): FlowSpec {
  const sources: Record<string, SourceSpec> = { n: { kind: 'range', name: 'n', start: 0, end: n, step: 1 } }
  if (side != null) sources.k = { kind: 'values', name: 'k', values: [side] }
  return {
    name: 'board',
    file: 'flow.json',
    functions: { mul: { name: 'mul', wasm: 'm.wasm', export: 'mul' } },
    clusters: {},
    sources,
    stages: { mul: { kind: 'map', name: 'mul', function: 'mul', inputs: ['n'], outputs: ['out'], timeoutMs: 1000, retries: 0, ...(side != null ? { sideInput: 'k' } : {}), ...(verify ? { verify: { replicas: 2 } } : {}) } },
    sinks: { out: { kind: 'stdout', name: 'out', inputs: ['mul'] } }
  } as unknown as FlowSpec
}

function runOf (spec: FlowSpec, got: unknown[] = []): FlowRun {
  return new FlowRun({
    spec,
    graph: buildGraph(spec),
    functions: new Map([['mul', { module: 'fake', export: 'mul' }]]),
    openSource: s => s.kind === 'range' ? new RangeCursor(s) : new ValuesCursor((s as Extract<SourceSpec, { kind: 'values' }>).values),
    openSink: async () => ({ async write (items) { for (const b of items) got.push(decodeValue(b)) }, async close () {} }),
    highWater: 512
  })
}

/** What the fake worker computes: `[x, k]` → x·k for jobs with a side input, x → x·2 otherwise (a liar adds 1). */
function execute (board: RunBoard, chunkOrJob: Job, liar = false): JobOutcome {
  // untimed: chunks stay one item each, so jobs are items and the shares below count both
  return perItem(chunkOrJob, job => executeOne(board, job, liar), { timed: false })
}

function executeOne (board: RunBoard, job: Job, liar: boolean): JobOutcome {
  const input = job.side == null ? job.input : withSideValue(job.input, board.sideValue(job.side)?.bytes)
  const value = decodeValue(input) as number | [number, number]
  const out = (Array.isArray(value) ? value[0] * value[1] : value * 2) + (liar ? 1 : 0)
  return { id: job.id, ok: true, outputs: [{ port: 0, bytes: encodeValue(out) }] }
}

/** A worker holding at most `capacity` jobs; `step` answers the oldest `per` and asks for more. */
class FakeWorker {
  readonly held: Job[] = []
  /** The slot of every job it answered, in order. */
  readonly answered: number[] = []
  readonly taken: Job[] = []

  constructor (readonly board: RunBoard, readonly name: string, readonly capacity: number, readonly per = 8) {
    board.join(name, { labels: [] })
  }

  fill (): Job[] {
    const jobs = this.board.takeJobs(this.capacity - this.held.length, this.name, true)
    this.held.push(...jobs)
    this.taken.push(...jobs)
    return jobs
  }

  answer (count = this.per): void {
    const batch = this.held.splice(0, count)
    for (const job of batch) this.answered.push(job.id % this.board.slots)
    this.board.complete(batch.map(job => execute(this.board, job)), this.name)
  }

  /** Answers and refills until `until()` (bounded), letting the runs pull their sources in between. */
  async drive (until: () => boolean, maxSteps = 20_000): Promise<void> {
    for (let step = 0; step < maxSteps && !until(); step++) {
      this.fill()
      this.answer()
      await new Promise(resolve => setImmediate(resolve))
    }
    assert.ok(until(), `not reached within ${maxSteps} steps`)
  }
}

const tick = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

/** Lets a run read its sources until it has work queued (bounded). */
async function queued (run: FlowRun): Promise<void> {
  for (let i = 0; i < 1000 && run.queued === 0; i++) await tick()
  assert.ok(run.queued > 0, 'the run has work queued')
}

const share = (answered: readonly number[], slot: number): number => answered.filter(s => s === slot).length / answered.length

describe('RunBoard', () => {
  it('two runs share one worker about evenly', async () => {
    const board = new RunBoard()
    const a = runOf(flow(4000))
    const b = runOf(flow(4000))
    board.add(a)
    board.add(b)
    const worker = new FakeWorker(board, 'w', 64)
    const done = Promise.all([a.run(), b.run()])
    await Promise.all([queued(a), queued(b)])
    await worker.drive(() => worker.answered.length >= 3000)
    const window = worker.answered.slice(0, 3000)
    const slotA = board.slotOf(a)!
    assert.ok(Math.abs(share(window, slotA) - 0.5) < 0.05, `run a had ${share(window, slotA)} of the first 3000 jobs`)
    await worker.drive(() => a.progress().jobsDone === 4000 && b.progress().jobsDone === 4000)
    const [sa, sb] = await done
    assert.equal(sa.ok && sb.ok, true)
    assert.deepEqual([sa.perWorker, sb.perWorker], [{ w: 4000 }, { w: 4000 }])
  })

  it('tells its waiting workers about new work in turn, so the first to have joined does not take all scarce work', () => {
    const board = new RunBoard()
    const first: number[] = []
    let calls: number[] = []
    for (const k of [0, 1, 2]) board.onWork(() => { calls.push(k) })
    for (let i = 0; i < 4; i++) {
      calls = []
      board.add(runOf(flow(1)))
      first.push(calls[0])
      assert.deepEqual([...calls].sort(), [0, 1, 2], 'every worker is told each time')
    }
    assert.deepEqual(first, [0, 1, 2, 0])
  })

  it('weights 3:1 give about 3:1', async () => {
    const board = new RunBoard()
    const a = runOf(flow(6000))
    const b = runOf(flow(6000))
    board.add(a, { weight: 3 })
    board.add(b, { weight: 1 })
    const worker = new FakeWorker(board, 'w', 64)
    const done = Promise.all([a.run(), b.run()])
    await Promise.all([queued(a), queued(b)])
    await worker.drive(() => worker.answered.length >= 4000)
    const slotA = board.slotOf(a)!
    const heavy = share(worker.answered.slice(0, 4000), slotA)
    assert.ok(heavy > 0.7 && heavy < 0.8, `the weight-3 run had ${heavy} of the first 4000 jobs`)
    await worker.drive(() => a.progress().jobsDone === 6000 && b.progress().jobsDone === 6000)
    await done
  })

  it('a run added while another fills the worker gets jobs as soon as credits come back', async () => {
    const board = new RunBoard()
    const a = runOf(flow(100_000))
    board.add(a)
    const worker = new FakeWorker(board, 'w', 64)
    const stopA = new AbortController()
    const doneA = a.run({ signal: stopA.signal }).catch(() => undefined)
    await queued(a)
    await worker.drive(() => worker.answered.length >= 500)
    worker.fill()
    assert.equal(worker.held.length, 64, 'run a holds every slot of the worker')
    const got: unknown[] = []
    const b = runOf(flow(20), got)
    board.add(b)
    const doneB = b.run()
    await queued(b)
    assert.deepEqual(worker.fill(), [], 'no credit free: nothing taken yet')
    worker.answer(8)
    const next = worker.fill()
    assert.equal(next.length, 8)
    const slotB = board.slotOf(b)!
    assert.ok(next.every(job => job.id % board.slots === slotB), 'every freed slot goes to run b, the one holding none')
    await worker.drive(() => b.progress().jobsDone === 20)
    const summary = await doneB
    assert.equal(summary.ok, true)
    assert.deepEqual(got.sort((x, y) => (x as number) - (y as number)), Array.from({ length: 20 }, (_, i) => i * 2))
    assert.ok(a.progress().jobsDone < 100_000 - 1000, 'run b finished long before run a')
    stopA.abort()
    await doneA
  })

  it('with several runs, one worker with a big window takes no more than its even part of a small run', async () => {
    const board = new RunBoard()
    const a = runOf(flow(100_000))
    const b = runOf(flow(40))
    board.add(a)
    board.add(b)
    const big = new FakeWorker(board, 'big', 4096)
    const other = new FakeWorker(board, 'other', 64)
    const stopA = new AbortController()
    const doneA = a.run({ signal: stopA.signal }).catch(() => undefined)
    const doneB = b.run()
    await Promise.all([queued(a), queued(b)])
    const slotB = board.slotOf(b)!
    const ofB = (jobs: Job[]): number => jobs.filter(job => job.id % board.slots === slotB).length
    assert.equal(ofB(big.fill()), 20, 'half of b\'s 40 jobs: there are two workers')
    assert.equal(ofB(other.fill()), 20, 'the other half is left for the other worker')
    for (let i = 0; i < 1000 && b.progress().jobsDone < 40; i++) {
      big.answer(4096)
      other.answer(64)
      await tick()
    }
    assert.deepEqual((await doneB).perWorker, { big: 20, other: 20 })
    stopA.abort()
    await doneA
  })

  it('a removed run\'s late results are ignored, by the board and by a worker session; its slot is reused without id collisions', async () => {
    const board = new RunBoard({ slots: 4 })
    const a = runOf(flow(10_000))
    const b = runOf(flow(300))
    board.add(a)
    board.add(b)
    const channel = new StubChannel()
    const session = new WorkerSession(board, channel, 'board', 'board-1', info => `worker/${info.name}`)
    channel.receive({ t: 'hello', v: JOB_PROTOCOL_VERSION, worker: { name: 's', threads: 1, platform: 'test', labels: [] }, features: [FEATURE_CHUNKS, FEATURE_ITEM_CHUNKS] })
    const stopA = new AbortController()
    const doneA = a.run({ signal: stopA.signal }).catch(() => undefined)
    const doneB = b.run()
    await Promise.all([queued(a), queued(b)])
    channel.receive({ t: 'pull', credits: 64 })
    const sent = channel.jobs()
    assert.equal(sent.length, 64)
    const slotA = board.slotOf(a)!
    const lateA = sent.filter(job => job.id % board.slots === slotA)
    assert.ok(lateA.length > 0 && lateA.length < 64, 'the session holds jobs of both runs')
    stopA.abort()
    await doneA
    board.remove(a)
    // a new run takes a's slot; its ids start above every id a handed out
    const c = runOf(flow(50))
    board.add(c)
    assert.equal(board.slotOf(c), slotA, 'c has the slot a had')
    const doneC = c.run()
    await queued(c)
    // the worker answers everything it held: a's results are dropped, not refused as "not held"
    channel.receive({ t: 'results', results: sent.map(job => outcomeToWire({ id: job.id, ok: true, outputs: [{ port: 0, bytes: encodeValue(0) }] })) })
    assert.equal(channel.closed, false, 'no refusal')
    assert.equal(c.progress().jobsDone, 0, 'late results of a never count for c')
    const worker = new FakeWorker(board, 'w', 32)
    await worker.drive(() => b.progress().jobsDone === 300 && c.progress().jobsDone === 50)
    const [sb, sc] = await Promise.all([doneB, doneC])
    assert.equal(sb.ok && sc.ok, true)
    const idsOfC = worker.taken.filter(job => job.id % board.slots === slotA).map(job => job.id)
    assert.equal(idsOfC.length, 50)
    assert.ok(Math.max(...lateA.map(job => job.id)) < Math.min(...idsOfC), 'ids of a slot never repeat: c starts above a')
    const ids = [...sent, ...worker.taken].map(job => job.id)
    assert.equal(new Set(ids).size, ids.length, 'no id handed out twice, across runs and reused slots')
    await session.close()
  })

  it('a removed run\'s jobs are recalled from a session that can drop them; it answers each once, by a result or `dropped`', async () => {
    const board = new RunBoard({ slots: 4 })
    const [a, b] = [runOf(flow(10_000)), runOf(flow(10_000))]
    board.add(a)
    board.add(b)
    const channel = new StubChannel()
    const session = new WorkerSession(board, channel, 'board', 'board-1', info => `worker/${info.name}`)
    channel.receive({ t: 'hello', v: JOB_PROTOCOL_VERSION, worker: { name: 's', threads: 1, platform: 'test', labels: [] }, features: [FEATURE_CHUNKS, FEATURE_ITEM_CHUNKS, FEATURE_RECALL] })
    const stopA = new AbortController()
    const stopB = new AbortController()
    const done = [a.run({ signal: stopA.signal }).catch(() => undefined), b.run({ signal: stopB.signal }).catch(() => undefined)]
    await Promise.all([queued(a), queued(b)])
    channel.receive({ t: 'pull', credits: 64 })
    const slotA = board.slotOf(a)!
    const [ofA, ofB] = [channel.jobs().filter(job => job.id % board.slots === slotA).map(job => job.id), channel.jobs().filter(job => job.id % board.slots !== slotA).map(job => job.id)]
    assert.ok(ofA.length > 0 && ofB.length > 0, 'the session holds jobs of both runs')
    stopA.abort()
    board.remove(a)
    const recalls = channel.sent.filter(m => m.t === 'recall')
    assert.deepEqual(recalls.flatMap(m => m.t === 'recall' ? m.ids : []).sort(), [...ofA].sort(), 'exactly a\'s jobs held by the worker are recalled')
    // a worker answers some by results (they finished before the recall arrived) and drops the rest
    const half = Math.ceil(ofA.length / 2)
    channel.receive({ t: 'results', results: ofA.slice(0, half).map(id => outcomeToWire({ id, ok: true, outputs: [] })) })
    channel.receive({ t: 'dropped', ids: ofA.slice(half) })
    assert.equal(channel.closed, false, 'no refusal')
    // dropping a job of b, which was not recalled: a breach (its lease would never end)
    channel.receive({ t: 'dropped', ids: [ofB[0]] })
    assert.equal(channel.closed, true, 'dropping a job not recalled is refused')
    assert.match(JSON.stringify(channel.sent.at(-1)), /dropped job \d+, which was not recalled/)
    stopB.abort()
    await Promise.all(done)
    await session.close()
  })

  it('side values of two runs with the same side input name do not mix', async () => {
    const board = new RunBoard()
    const gotA: unknown[] = []
    const gotB: unknown[] = []
    const a = runOf(flow(200, 10), gotA)
    const b = runOf(flow(200, 1000), gotB)
    board.add(a)
    board.add(b)
    const names = new Set<string>()
    board.onSide(name => names.add(name))
    const worker = new FakeWorker(board, 'w', 16)
    const done = Promise.all([a.run(), b.run()])
    await Promise.all([queued(a), queued(b)])
    await worker.drive(() => a.progress().jobsDone === 200 && b.progress().jobsDone === 200)
    await done
    const sorted = (xs: unknown[]): number[] => (xs as number[]).sort((x, y) => x - y)
    assert.deepEqual(sorted(gotA), Array.from({ length: 200 }, (_, i) => i * 10))
    assert.deepEqual(sorted(gotB), Array.from({ length: 200 }, (_, i) => i * 1000))
    assert.deepEqual([...names].sort(), ['1:k', '2:k'], 'the wire names are per run')
    assert.deepEqual([...new Set(worker.taken.map(job => job.side))].sort(), ['1:k', '2:k'])
  })

  it('ids of two runs never collide and name their run', async () => {
    const board = new RunBoard()
    const a = runOf(flow(3000))
    const b = runOf(flow(3000))
    board.add(a)
    board.add(b)
    const worker = new FakeWorker(board, 'w', 128)
    const done = Promise.all([a.run(), b.run()])
    await Promise.all([queued(a), queued(b)])
    await worker.drive(() => a.progress().jobsDone === 3000 && b.progress().jobsDone === 3000)
    await done
    const ids = worker.taken.map(job => job.id)
    assert.equal(ids.length, 6000)
    assert.equal(new Set(ids).size, 6000)
    assert.deepEqual([...new Set(ids.map(id => id % board.slots))].sort(), [0, 1])
  })

  it('a worker refused by verification in one run is refused by the board, in every run', async () => {
    const board = new RunBoard()
    const verified = runOf(flow(60, undefined, true))
    const plain = runOf(flow(1000))
    board.add(verified)
    board.add(plain)
    const refused: string[] = []
    board.onRefused(worker => refused.push(worker))
    for (const w of ['a', 'b', 'liar']) board.join(w, { labels: [] })
    const stopPlain = new AbortController()
    const done = verified.run()
    const donePlain = plain.run({ signal: stopPlain.signal }).catch(() => undefined)
    await Promise.all([queued(verified), queued(plain)])
    for (let round = 0; round < 1000 && !board.isRefused('liar'); round++) {
      for (const w of ['liar', 'a', 'b']) board.complete(board.takeJobs(4, w).map(job => execute(board, job, w === 'liar')), w)
      await tick()
    }
    assert.deepEqual(refused, ['liar'])
    assert.equal(verified.isRefused('liar'), true)
    assert.equal(plain.isRefused('liar'), false, 'the other run never saw it lie')
    assert.deepEqual(board.takeJobs(10, 'liar'), [], 'the board gives it no job of any run')
    const later = runOf(flow(10))
    board.add(later)
    assert.deepEqual(board.takeJobs(10, 'liar'), [], 'nor of a run added later')
    for (let round = 0; round < 1000 && verified.progress().jobsDone < 60; round++) {
      for (const w of ['a', 'b']) board.complete(board.takeJobs(4, w).map(job => execute(board, job)), w)
      await tick()
    }
    assert.equal((await done).ok, true)
    stopPlain.abort()
    await donePlain
  })
})

/** An in-memory job stream recording what the coordinator side sends. */
class StubChannel implements SessionChannel<WorkerMessage, CoordinatorMessage> {
  readonly sent: CoordinatorMessage[] = []
  closed = false
  private handler: (m: WorkerMessage) => void = () => {}
  private closeHandler: (reason?: Error) => void = () => {}
  send (message: CoordinatorMessage): void { this.sent.push(message) }
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.closeHandler()
  }

  onMessage (handler: (m: WorkerMessage) => void): void { this.handler = handler }
  onClose (handler: (reason?: Error) => void): void { this.closeHandler = handler }
  receive (message: WorkerMessage): void { this.handler(message) }
  jobs (): Array<{ id: number }> {
    return this.sent.flatMap(m => m.t === 'jobs' ? m.jobs.map(job => ({ id: job[0] })) : [])
  }
}
