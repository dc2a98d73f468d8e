/**
 * A standing Coordinator hosting several runs at once on two real grid-worker processes (loopback): two
 * different example flows run concurrently through two `coordinator.run` calls, both outputs exact against
 * independent computations, each run's jobs on both workers; the short flow started while the long one runs
 * finishes first (ordering, not timing); the workers stay joined across runs (one session each, no `done`,
 * no second join), and a third run afterwards runs on the same sessions.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeValue } from '../../../core/codec.js'
import type { SinkWriter } from '../../../core/run/flow-run.js'
import { Coordinator } from '../../../node-peer/coordinator/coordinator.js'
import type { CoordinatorEvents } from '../../../node-peer/coordinator/events.js'
import { loadFlowPlan } from '../../../node-peer/coordinator/flow-plan.js'
import { copyExample } from '../../helpers/example-copy.js'
import { collatzSteps, fibonacciUpTo, wordCounts } from '../../helpers/expected.js'
import { Proc } from '../../helpers/processes.js'

/** Sinks that keep every item in memory, by sink name (the flows here have distinct sink names). */
function memorySinks (): { items: Map<string, unknown[]>, openSink: (spec: { name: string }) => Promise<SinkWriter> } {
  const items = new Map<string, unknown[]>()
  return {
    items,
    openSink: async spec => {
      const got: unknown[] = []
      items.set(spec.name, got)
      return { keepsWrites: true, async write (batch) { for (const b of batch) got.push(decodeValue(b)) }, async close () {} }
    }
  }
}

const STARTS = 5000

it('two flows at once share two grid-workers; the short one finishes first; the workers stay for a third run', async () => {
  const collatzDir = await copyExample('collatz')
  const collatzFlow = join(collatzDir, 'flow.json')
  const flow = JSON.parse(await readFile(collatzFlow, 'utf8'))
  flow.sources.starts.end = STARTS + 1
  await writeFile(collatzFlow, JSON.stringify(flow))
  const wordcountDir = await copyExample('wordcount')
  const fibonacciDir = await copyExample('fibonacci-wat')
  const sinks = memorySinks()
  const coordinator = new Coordinator({ openSink: sinks.openSink })
  const ended: string[] = []
  const joined: string[] = []
  const left: string[] = []
  coordinator.addEventListener('run:done', evt => { ended.push(evt.detail.flow) })
  coordinator.addEventListener('run:failed', evt => { ended.push(`${evt.detail.flow} failed`) })
  coordinator.addEventListener('worker:joined', evt => { joined.push(evt.detail.id) })
  coordinator.addEventListener('worker:left', evt => { left.push(evt.detail.id) })
  const listening = new Promise<CoordinatorEvents['network:listening']['detail']>(resolve => {
    coordinator.addEventListener('network:listening', evt => { resolve(evt.detail) }, { once: true })
  })
  const workers: Proc[] = []
  try {
    const long = await coordinator.prepare(await loadFlowPlan(collatzFlow))
    const short = await coordinator.prepare(await loadFlowPlan(join(wordcountDir, 'flow.json')))
    await coordinator.start({ workers: 0, standing: true, network: { listen: ['/ip4/127.0.0.1/tcp/0'] } })
    const address = (await listening).addresses.find(a => a.includes('/tcp/'))!
    for (const name of ['a', 'b']) {
      workers.push(new Proc('grid-worker', ['--bootstrap', address, '--threads', '1', '--name', name, '--cache', join(collatzDir, `cache-${name}`), '--quiet']))
    }
    const longDone = coordinator.run(long, { waitWorkers: 2 })
    // the short flow is submitted once the long one is well under way
    for (let i = 0; i < 600 && (coordinator.progress(long.runId)?.jobsDone ?? 0) < 2000; i++) await new Promise(resolve => setTimeout(resolve, 100))
    assert.ok((coordinator.progress(long.runId)?.jobsDone ?? 0) >= 2000, 'the long run is going')
    const shortDone = coordinator.run(short)
    const hosted = coordinator.runs()
    assert.deepEqual(hosted.map(r => [r.flow, r.priority]), [['collatz', 1], ['wordcount', 1]])
    assert.equal(hosted[0].state, 'running')
    const [longResult, shortResult] = await Promise.all([longDone, shortDone])
    assert.deepEqual(ended, ['wordcount', 'collatz'], 'the short flow, started later, finished first')

    // both outputs exact
    const lengths = new Map(sinks.items.get('lengths') as Array<[number, number]>)
    assert.equal(lengths.size, STARTS)
    let best: [number, number] = [1, 0]
    for (let n = 1; n <= STARTS; n++) {
      assert.equal(lengths.get(n), collatzSteps(n), `steps of ${n}`)
      if (collatzSteps(n) > best[1]) best = [n, collatzSteps(n)]
    }
    assert.deepEqual(sinks.items.get('result'), [['longest', best]])
    const expected = wordCounts(await readFile(join(wordcountDir, 'input.txt'), 'utf8'))
    assert.deepEqual(new Map(sinks.items.get('counts') as Array<[string, number]>), expected)
    assert.deepEqual(sinks.items.get('words'), [['words', [...expected.values()].reduce((x, y) => x + y, 0)]])
    // each run's jobs ran on both workers
    for (const { summary } of [longResult, shortResult]) {
      assert.equal(summary.ok, true)
      assert.deepEqual(Object.keys(summary.perWorker).sort(), ['worker/a', 'worker/b'])
      assert.ok(Object.values(summary.perWorker).every(n => n > 0))
    }

    // a third run on the same sessions: nobody left, nobody joined again
    const third = await coordinator.run(await coordinator.prepare(await loadFlowPlan(join(fibonacciDir, 'flow.json'))))
    assert.equal(third.summary.ok, true)
    assert.deepEqual((sinks.items.get('numbers') as number[]).sort((x, y) => x - y), fibonacciUpTo(1e15))
    assert.deepEqual(coordinator.runs(), [], 'no run hosted any more')
    assert.deepEqual(joined.sort(), ['worker/a', 'worker/b'])
    assert.deepEqual(left, [])
    for (const worker of workers) {
      assert.equal([...worker.output.matchAll(/joined flow/g)].length, 1, `one session:\n${worker.output}`)
      assert.doesNotMatch(worker.output, /finished;|gone/, 'a standing coordinator never says done, and stays')
    }
  } finally {
    await coordinator.stop()
    await Promise.all(workers.map(async w => await w.stop('SIGKILL')))
  }
})
