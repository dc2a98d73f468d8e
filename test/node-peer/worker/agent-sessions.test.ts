/**
 * A WorkerAgent across sessions (its coordinator died and came back), on a real ThreadPool driven by hand from
 * the coordinator's end of an in-memory job stream: batches of the dead session still hold the threads when
 * the new session's jobs arrive, and the new jobs run as soon as those batches end (before, nothing started
 * them: the worker held its jobs and credits forever, and the resumed run stalled — seen in the chaos test).
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { sha256Hex } from '../../../core/abi/host.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { JOB_PROTOCOL_VERSION, outcomeFromWire } from '../../../core/protocol/job-messages.js'
import type { WireJob, WorkerMessage } from '../../../core/protocol/job-messages.js'
import { WorkerAgent } from '../../../core/worker/worker-agent.js'
import { ThreadPool } from '../../../node-peer/executor/pool.js'
import { loadExecutorFixtures } from '../../fixtures/executor/fixtures.js'
import { pair } from '../../helpers/channel-pair.js'

const fixtures = await loadExecutorFixtures()
const [double, spin] = await Promise.all([sha256Hex(fixtures.double), sha256Hex(fixtures.spin)])
const bytesOf = new Map([[double, fixtures.double], [spin, fixtures.spin]])

const job = (id: number, module: string, name: string, input: number, timeoutMs: number): WireJob => [id, module, name, encodeValue(input), timeoutMs]
const pulled = (sent: readonly WorkerMessage[]): number => sent.reduce((n, m) => n + (m.t === 'pull' ? m.credits : 0), 0)
const results = (sent: readonly WorkerMessage[]): Map<number, unknown> => new Map(sent.flatMap(m => m.t === 'results' ? m.results.map(outcomeFromWire) : []).map(o => [o.id, o.ok ? decodeValue(o.outputs[0].bytes) : o.error.name]))

/** Waits (bounded) until the worker has sent what `done` looks for. */
async function until (sent: readonly WorkerMessage[], done: (sent: readonly WorkerMessage[]) => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!done(sent) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  assert.ok(done(sent), `${what} within ${ms} ms; the worker sent: ${JSON.stringify(sent.map(m => m.t))}`)
}

it('runs the next session\'s jobs once the dead session\'s batches free the threads', async () => {
  const pool = new ThreadPool({ threads: 1 }) // two batches at once: one running, one waiting
  const agent = new WorkerAgent({
    executor: pool,
    info: { name: 'w', threads: 1, platform: 'test', labels: [] },
    fetchModule: async hash => bytesOf.get(hash)!
  })
  try {
    const first = pair()
    const firstSession = agent.attach(first.worker)
    await until(first.worker.sent, s => s.some(m => m.t === 'hello'), 'a hello')
    first.coordinator.send({ t: 'welcome', v: JOB_PROTOCOL_VERSION, flow: 'f', run: 'r' })
    await until(first.worker.sent, s => pulled(s) >= 2, 'credits for 2 jobs')
    // two batches that hold the thread until their timeout (1.5 s each, one after the other)
    first.coordinator.send({ t: 'jobs', jobs: [job(1, spin, 'spin', 0, 1500)] })
    first.coordinator.send({ t: 'jobs', jobs: [job(2, spin, 'spin', 0, 1500)] })
    await new Promise(resolve => setTimeout(resolve, 300)) // both batches are with the executor
    await first.coordinator.close() // the coordinator died
    await firstSession

    const second = pair()
    const secondSession = agent.attach(second.worker)
    try {
      await until(second.worker.sent, s => s.some(m => m.t === 'hello'), 'a hello in the new session')
      second.coordinator.send({ t: 'welcome', v: JOB_PROTOCOL_VERSION, flow: 'f', run: 'r2' })
      await until(second.worker.sent, s => pulled(s) >= 1, 'credits in the new session')
      second.coordinator.send({ t: 'jobs', jobs: [job(3, double, 'double', 21, 30_000)] })
      await until(second.worker.sent, s => results(s).has(3), 'the new session\'s job answered')
      assert.equal(results(second.worker.sent).get(3), 42)
      assert.equal(results(second.worker.sent).size, 1, 'nothing of the dead session is reported in the new one')
    } finally {
      await second.coordinator.close()
      await secondSession
    }
  } finally {
    await pool.close()
  }
})
