/**
 * The TypeScript API against real grids: an in-process coordinator with worker threads (startGrid), a second
 * program's view of it (connect), flows as objects with module bytes and sources fed from code.
 */
import { after, before, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect, FlowValidationError, GridUsageError, RunCancelledError, startGrid, SubmitRefusedError } from '../../../node-peer/api/index.js'
import type { FlowObject, LocalGrid } from '../../../node-peer/api/index.js'
import { RunStore } from '../../../node-peer/coordinator/submit/run-store.js'
import { collatzSteps, primesBelow } from '../../helpers/expected.js'

const repo = fileURLToPath(new URL('../../../../', import.meta.url))
let grid: LocalGrid
let collatz: Uint8Array

/** The collatz example's loop, fed from `starts`, its `[start, steps]` pairs delivered to code as `lengths`. */
function collatzFlow (starts: FlowObject['sources'][string]): FlowObject {
  return {
    name: 'collatz-from-code',
    functions: { step: { wasm: collatz, export: 'step' } },
    sources: { starts },
    stages: { iterate: { function: 'step', input: ['starts', 'iterate.next'], outputs: ['next', 'done'] } },
    sinks: { lengths: { type: 'stdout', input: 'iterate.done' } }
  }
}

before(async () => {
  collatz = new Uint8Array(await readFile(`${repo}examples/collatz/build/collatz.wasm`))
  grid = await startGrid({ workers: 2 })
})

after(async () => {
  await grid?.stop()
})

it('runs a flow object whose source is an async generator and whose sink is read from code', async () => {
  async function * starts (): AsyncGenerator<number> {
    for (let n = 1; n <= 300; n++) {
      if (n % 50 === 0) await new Promise(resolve => setTimeout(resolve, 5))
      yield n
    }
  }
  const run = await grid.run(collatzFlow(starts()))
  let progress = 0
  run.on('progress', () => { progress++ })
  const seen = new Map<number, number>()
  for await (const item of run.results('lengths')) {
    const [start, steps] = item as [number, number]
    assert.ok(!seen.has(start), `start ${start} delivered twice`)
    seen.set(start, steps)
  }
  const summary = await run.done
  assert.equal(seen.size, 300)
  for (let n = 1; n <= 300; n++) assert.equal(seen.get(n), collatzSteps(n), `steps of ${n}`)
  assert.ok(summary.ok)
  assert.ok(summary.jobsDone >= 300, `jobsDone ${summary.jobsDone}`)
  assert.ok(progress >= 0)
})

it('a slow reader bounds how far the source is pulled, and leaving the loop early cancels the run', async () => {
  const total = 1_000_000
  let pulled = 0
  function * starts (): Generator<number> {
    for (let n = 1; n <= total; n++) {
      pulled++
      yield n
    }
  }
  const slow = await grid.run({ ...collatzFlow({ type: 'client' }) }, { sources: { starts: starts() } })
  let read = 0
  for await (const item of slow.results('lengths')) {
    assert.ok(Array.isArray(item))
    read++
    if (read === 20) {
      // the grid keeps working while we wait: it must stop pulling once the sink's queue is full
      for (let i = 0; i < 40 && slow.progress == null; i++) await new Promise(resolve => setTimeout(resolve, 50))
      await new Promise(resolve => setTimeout(resolve, 1500))
      break
    }
  }
  await assert.rejects(slow.done, RunCancelledError)
  assert.ok(pulled < total / 4, `the source was pulled ${pulled} times for ${read} items read: no backpressure`)
})

it('reports typed errors: an invalid flow names its JSON path, a missing sink and a wrong secret are refused', async () => {
  await assert.rejects(grid.run({ ...collatzFlow({ type: 'client' }), stages: { iterate: { function: 'nope', input: 'starts' } } }, { sources: { starts: [1] } }), (err: unknown) => {
    assert.ok(err instanceof FlowValidationError)
    assert.equal(err.path, 'stages.iterate.function')
    return true
  })
  await assert.rejects(grid.run(collatzFlow({ type: 'client' })), (err: unknown) => err instanceof FlowValidationError && err.path === 'sources.starts')
  const run = await grid.run(collatzFlow({ type: 'client' }), { sources: { starts: [27] } })
  assert.throws(() => run.results('nope'), GridUsageError)
  assert.deepEqual(await collect(run.results('lengths')), [[27, 111]])
  await run.done
  await assert.rejects(connect(grid.address, { submitSecret: 'not-the-secret' }), SubmitRefusedError)
})

it('another program connects with the submit secret and runs a flow file by path; a signal cancels', async () => {
  const other = await connect(grid.address, { submitSecret: grid.submitSecret })
  try {
    const run = await other.run(`${repo}examples/collatz/flow.json`)
    // both sinks read at once: a sink's writes wait for its reader
    const [result, lengths] = await Promise.all([collect(run.results('result')), collect(run.results('lengths'))])
    assert.deepEqual(result, [['longest', [6171, 261]]])
    assert.equal(lengths.length, 10_000)
    assert.ok((await run.done).ok)
    const controller = new AbortController()
    function * forever (): Generator<number> {
      for (let n = 1; n < Number.MAX_SAFE_INTEGER; n++) yield n
    }
    const endless = await other.run(collatzFlow(forever()), { signal: controller.signal })
    for await (const _ of endless.results('lengths')) {
      controller.abort()
      break
    }
    await assert.rejects(endless.done, RunCancelledError)
  } finally {
    await other.stop()
  }
})

it('map yields a function\'s results in input order, from an array or an async generator; leaving early cancels', async () => {
  const primesWasm = `${repo}examples/primes/build/primes.wasm`
  const starts = [7, 0, 3, 5, 1].map(i => i * 312_500)
  const counts: unknown[] = []
  for await (const result of grid.map({ wasm: primesWasm, export: 'count' }, starts)) counts.push(result)
  assert.deepEqual(counts, starts.map(s => ['primes below 20000000', primesBelow(s + 312_500) - primesBelow(s)]))

  async function * pairs (): AsyncGenerator<[number, number]> {
    for (let i = 0; i < 3000; i++) {
      if (i % 500 === 0) await new Promise(resolve => setTimeout(resolve, 5))
      yield [i, (i * 7) % 1000]
    }
  }
  const keyed: unknown[] = []
  for await (const result of grid.map({ wasm: collatz, export: 'keyed' }, pairs())) keyed.push(result)
  assert.equal(keyed.length, 3000)
  keyed.forEach((result, i) => { assert.deepEqual(result, ['longest', [i, (i * 7) % 1000]], `result ${i}`) })

  let pulled = 0
  function * many (): Generator<[number, number]> {
    for (let i = 0; i < 1_000_000; i++) {
      pulled++
      yield [i, 0]
    }
  }
  let first: unknown
  for await (const result of grid.map({ wasm: collatz, export: 'keyed' }, many())) {
    first = result
    break
  }
  assert.deepEqual(first, ['longest', [0, 0]])
  assert.ok(pulled < 1_000_000, `pulled ${pulled}`)
  await assert.rejects(async () => { for await (const _ of grid.map({ wasm: collatz, export: 'nope' }, [1])) assert.fail('no result expected') }, FlowValidationError)
})

it('with --state, a run fed from code is not kept for a restart (it cannot be replayed); a run from the flow is', async () => {
  const state = await mkdtemp(join(tmpdir(), 'edge-grid-api-state-'))
  const kept = await startGrid({ workers: 1, state })
  try {
    function * forever (): Generator<number> {
      for (let n = 1; n < Number.MAX_SAFE_INTEGER; n++) yield n
    }
    const fed = await kept.run(collatzFlow(forever()))
    const ranged = await kept.run(collatzFlow({ type: 'range', start: 1, end: 1_000_000 }))
    const runs = (await new RunStore(state).list()).map(r => r.run)
    assert.deepEqual(runs, [ranged.id])
    assert.ok(!runs.includes(fed.id))
    fed.cancel()
    ranged.cancel()
    await assert.rejects(fed.done, RunCancelledError)
    await assert.rejects(ranged.done, RunCancelledError)
  } finally {
    await kept.stop()
    await rm(state, { recursive: true, force: true })
  }
})

async function collect (items: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = []
  for await (const item of items) out.push(item)
  return out
}
