/**
 * FlowRun end to end in one process, with the real worker_threads pool: a slow sink throttles the source
 * (memory stays bounded), and every item arrives exactly once.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { sha256Hex } from '../../core/abi/host.js'
import { decodeValue } from '../../core/codec.js'
import { buildGraph } from '../../core/flow/graph.js'
import type { FlowSpec } from '../../core/flow/model.js'
import { FlowRun, SINK_HIGH_WATER } from '../../core/run/flow-run.js'
import type { SinkWriter } from '../../core/run/flow-run.js'
import { RangeCursor } from '../../core/run/sources.js'
import type { SourceCursor } from '../../core/run/sources.js'
import { ThreadPool } from '../../node-peer/executor/pool.js'
import { LocalWorkers } from '../../node-peer/local-workers.js'
import { MAX_CHUNK_ITEMS } from '../../core/run/chunks.js'
import { assembleWat } from '../fixtures/executor/fixtures.js'

const ITEMS = 2_000_000
const HIGH_WATER = 1000

it('a slow sink throttles the source: items read but not yet delivered stay bounded', async () => {
  const spec: FlowSpec = {
    name: 'slow-sink',
    file: 'flow.json',
    functions: { double: { name: 'double', wasm: 'double.wasm', export: 'double' } },
    sources: { n: { kind: 'range', name: 'n', start: 0, end: ITEMS, step: 1 } },
    stages: { double: { kind: 'map', name: 'double', function: 'double', inputs: ['n'], outputs: ['out'], timeoutMs: 10_000, retries: 0 } },
    sinks: { out: { kind: 'stdout', name: 'out', inputs: ['double'] } }
  }
  const wasm = await assembleWat('double.wat')
  const hash = await sha256Hex(wasm)
  const pool = new ThreadPool({ threads: 2 })
  await pool.addModule(hash, wasm)
  let cursor: SourceCursor | undefined
  const seen = new Uint8Array(ITEMS)
  let delivered = 0
  let worstBacklog = 0
  const sink: SinkWriter = {
    async write (items) {
      for (const item of items) {
        const v = decodeValue(item) as number
        assert.equal(v % 2, 0)
        assert.equal(seen[v / 2], 0, `item ${v / 2} delivered twice`)
        seen[v / 2] = 1
      }
      delivered += items.length
      worstBacklog = Math.max(worstBacklog, cursor!.progress().done - delivered)
      await new Promise(resolve => setTimeout(resolve, Math.ceil(items.length / 500))) // ~500 items per ms
    },
    async close () {}
  }
  const run = new FlowRun({
    spec,
    graph: buildGraph(spec),
    functions: new Map([['double', { module: hash, export: 'double' }]]),
    openSource: s => (cursor = new RangeCursor(s as Extract<typeof s, { kind: 'range' }>)),
    openSink: async () => sink,
    highWater: HIGH_WATER
  })
  const workers = new LocalWorkers(run, pool)
  workers.start()
  try {
    const summary = await run.run()
    assert.equal(summary.ok, true)
    assert.equal(delivered, ITEMS)
    assert.equal(seen.every(x => x === 1), true)
    // What the run holds at most, whatever the machine's speed (read − delivered = queued + out + waiting for
    // the sink): the range is read a piece at a time while fewer than HIGH_WATER items are queued (so queued <
    // HIGH_WATER + a piece); each batch a worker takes is cut from what is queued then (≤ HIGH_WATER + a
    // piece), and the embedded workers hold at most two batches per thread; no batch is taken once more than
    // SINK_HIGH_WATER results wait, so the results waiting are at most that plus the batches that were out.
    const queuedAtMost = HIGH_WATER + MAX_CHUNK_ITEMS
    const bound = queuedAtMost + 2 * pool.slots * queuedAtMost + SINK_HIGH_WATER
    assert.ok(worstBacklog <= bound, `backlog ${worstBacklog} > ${bound}`)
    assert.ok(worstBacklog < ITEMS / 2)
  } finally {
    workers.stop()
    await pool.close()
  }
})
