/**
 * The dashboard's model of a real Coordinator (embedded threads, in this process), built from its events
 * and progress alone: a run appears when it starts and ends with its summary's counts; the embedded threads
 * are the worker `local` with the run's jobs; an aborted run ends as interrupted; the snapshot carries no
 * secret; the stages a run chains, and the workers it gives no chunked work (named up to a cap, all counted).
 * Also the ETA rule.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFile, writeFile } from 'node:fs/promises'
import { TypedEventEmitter } from '@libp2p/interface'
import { MAX_CHUNKLESS_ROWS } from '../../../core/dashboard/snapshot.js'
import { emit } from '../../../node-peer/coordinator/events.js'
import type { CoordinatorEvents } from '../../../node-peer/coordinator/events.js'
import { Coordinator } from '../../../node-peer/coordinator/coordinator.js'
import { loadFlowPlan } from '../../../node-peer/coordinator/flow-plan.js'
import { GridModel } from '../../../node-peer/dashboard/grid-model.js'
import { buildSnapshot, etaOf } from '../../../node-peer/dashboard/snapshot-builder.js'
import { copyExample } from '../../helpers/example-copy.js'

const nullSink = async (): Promise<{ write: () => Promise<void>, close: () => Promise<void> }> => ({ async write () {}, async close () {} })

it('follows a run from its events: counts of its summary, jobs of the embedded worker', async () => {
  const dir = await copyExample('wordcount')
  const coordinator = new Coordinator({ openSink: nullSink })
  const model = new GridModel({ events: coordinator, progress: runId => coordinator.progress(runId) })
  try {
    const run = await coordinator.prepare(await loadFlowPlan(join(dir, 'flow.json')))
    await coordinator.start({ workers: 2 })
    const ticking = setInterval(() => { model.tick() }, 50)
    const { summary } = await coordinator.run(run).finally(() => { clearInterval(ticking) })
    model.tick()
    const shown = buildSnapshot(model, { control: false })
    assert.equal(shown.runs.length, 1)
    const view = shown.runs[0]
    assert.equal(view.phase, 'done')
    assert.equal(view.runId, run.runId)
    assert.equal(view.jobsDone, summary.jobsDone)
    assert.equal(view.elapsedMs, summary.wallMs)
    assert.deepEqual(Object.fromEntries(view.stages.map(s => [s.name, { done: s.done, failed: s.failed, retried: s.retried, replayed: s.replayed }])),
      Object.fromEntries(Object.entries(summary.stages).map(([name, c]) => [name, { done: c.done, failed: c.failed, retried: c.retried, replayed: c.replayed }])))
    const local = shown.workers.find(w => w.id === 'local')
    assert.equal(local?.kind, 'embedded')
    assert.equal(local?.threads, 2)
    assert.equal(local?.jobsDone, summary.perWorker.local)
    assert.equal(local?.state, 'idle', 'no run going on')
    assert.deepEqual(shown.events.map(e => e.kind), ['run', 'run'])
    assert.match(shown.events[1].text, new RegExp(`run of "wordcount" done: ${summary.jobsDone} jobs`))
  } finally {
    model.close()
    await coordinator.stop()
  }
})

it('keeps runs hosted at once apart by run id, each with its own counts', async () => {
  const [a, b] = await Promise.all([copyExample('wordcount'), copyExample('fibonacci-wat')])
  const coordinator = new Coordinator({ openSink: nullSink })
  const model = new GridModel({ events: coordinator, progress: runId => coordinator.progress(runId) })
  try {
    await coordinator.start({ workers: 2 })
    const runs = await Promise.all([a, b].map(async dir => await coordinator.prepare(await loadFlowPlan(join(dir, 'flow.json')))))
    const ticking = setInterval(() => { model.tick() }, 50)
    const results = await Promise.all(runs.map(async run => await coordinator.run(run))).finally(() => { clearInterval(ticking) })
    model.tick()
    const shown = buildSnapshot(model, { control: false })
    assert.equal(shown.runs.length, 2)
    runs.forEach((run, i) => {
      const view = shown.runs.find(r => r.runId === run.runId)
      assert.equal(view?.flow, run.name)
      assert.equal(view?.phase, 'done')
      assert.equal(view?.jobsDone, results[i].summary.jobsDone)
    })
    assert.equal(shown.workers.find(w => w.id === 'local')?.jobsDone, results.reduce((n, r) => n + (r.summary.perWorker.local ?? 0), 0))
  } finally {
    model.close()
    await coordinator.stop()
  }
})

it('ends an aborted run as interrupted, and a cancelled one as cancelled', async () => {
  const dir = await copyExample('collatz')
  const coordinator = new Coordinator({ openSink: nullSink })
  const model = new GridModel({ events: coordinator, progress: runId => coordinator.progress(runId) })
  try {
    await coordinator.start({ workers: 1 })
    const first = await coordinator.prepare(await loadFlowPlan(join(dir, 'flow.json')))
    const controller = new AbortController()
    const aborted = coordinator.run(first, { signal: controller.signal })
    coordinator.addEventListener('run:running', () => { controller.abort() }, { once: true })
    await assert.rejects(aborted, { name: 'CoordinatorInterruptedError' })
    assert.equal(model.runs.get(first.runId)?.phase, 'interrupted')

    const second = await coordinator.prepare(await loadFlowPlan(join(dir, 'flow.json')))
    assert.equal(coordinator.cancel(second.runId), false, 'not going on yet')
    coordinator.addEventListener('run:running', () => { assert.equal(coordinator.cancel(second.runId), true) }, { once: true })
    await assert.rejects(coordinator.run(second), { name: 'CoordinatorInterruptedError' })
    assert.equal(model.runs.get(second.runId)?.phase, 'cancelled')
    assert.ok(model.events.some(e => e.text === 'run of "collatz" cancelled from the dashboard'))
  } finally {
    model.close()
    await coordinator.stop()
  }
})

it('shows the stages a run chains, live and once it ended, as the summary reports them', async () => {
  const dir = await copyExample('chain')
  const flowPath = join(dir, 'flow.json')
  const flow = JSON.parse(await readFile(flowPath, 'utf8'))
  flow.sources.numbers.end = 20_001 // a short run: the chain is what is looked at
  await writeFile(flowPath, JSON.stringify(flow))
  const coordinator = new Coordinator({ openSink: nullSink })
  const model = new GridModel({ events: coordinator, progress: runId => coordinator.progress(runId) })
  try {
    const run = await coordinator.prepare(await loadFlowPlan(flowPath))
    await coordinator.start({ workers: 2 })
    let live: unknown
    coordinator.addEventListener('run:running', () => { live = buildSnapshot(model, { control: false }).runs[0]?.chains }, { once: true })
    const ticking = setInterval(() => { model.tick() }, 50)
    const { summary } = await coordinator.run(run).finally(() => { clearInterval(ticking) })
    model.tick()
    const view = buildSnapshot(model, { control: false }).runs[0]
    assert.deepEqual(summary.chains, [['square', 'digitsum', 'select']])
    assert.deepEqual(view.chains, summary.chains, 'the ended run keeps its chains')
    assert.deepEqual(live, summary.chains, 'shown from the start of the run')
    assert.equal(view.withoutChunks, undefined, 'embedded threads run every kind of chunk')
    assert.equal(JSON.parse(JSON.stringify(buildSnapshot(model, { control: false }))).runs[0].chains.length, 1, 'it survives the push (JSON)')
  } finally {
    model.close()
    await coordinator.stop()
  }
})

it('names the workers that get no chunked work, up to MAX_CHUNKLESS_ROWS, and counts them all', () => {
  // the events a coordinator emits (node-peer/coordinator/run-notices.ts), dispatched on a bare event target
  const events = new TypedEventEmitter<CoordinatorEvents>()
  const model = new GridModel({ events, progress: () => undefined })
  try {
    const ref = { runId: 'r1', flow: 'primes' }
    emit(events, 'run:started', { ...ref, embeddedWorkers: 0, spawnedWorkers: 0, volunteers: true, verified: [] })
    assert.equal(buildSnapshot(model, { control: false }).runs[0].withoutChunks, undefined, 'none yet: no notice')
    const crowd = MAX_CHUNKLESS_ROWS + 5
    for (let i = 0; i < crowd; i++) emit(events, 'worker:no-chunks', { ...ref, id: `worker/old-${i}`, stages: i === 0 ? ['count', 'sum'] : ['count'] })
    emit(events, 'worker:no-chunks', { runId: 'elsewhere', flow: 'x', id: 'worker/stray', stages: ['a'] })
    const view = buildSnapshot(model, { control: false }).runs[0]
    assert.equal(view.withoutChunks?.count, crowd)
    assert.equal(view.withoutChunks?.workers.length, MAX_CHUNKLESS_ROWS)
    assert.deepEqual(view.withoutChunks?.workers[0], { worker: 'worker/old-0', stages: ['count', 'sum'] })
    assert.deepEqual(view.withoutChunks?.workers.map(w => w.worker), Array.from({ length: MAX_CHUNKLESS_ROWS }, (_, i) => `worker/old-${i}`), 'in the order they joined')
    assert.equal(model.runs.size, 1, 'a notice about a run not hosted here adds nothing')
  } finally {
    model.close()
  }
})

it('estimates time left only when the sources know their size', () => {
  assert.equal(etaOf(undefined, 10_000, 50, 5), undefined)
  assert.equal(etaOf(0.25, 10_000, 50, 5), 30_000, 'a quarter read in 10 s: 30 s to read the rest')
  assert.equal(etaOf(1, 10_000, 50, 5), 10_000, 'all read: 50 jobs left at 5/s')
  assert.equal(etaOf(1, 10_000, 50, 0), undefined, 'no rate yet')
})
