/**
 * Recall, worker side: a WorkerAgent on a real ThreadPool, driven by hand from the coordinator's end of an
 * in-memory job stream (every message through the codec and the guards). Recalled jobs are answered once, in
 * `dropped` and never as results: the one running (a spin that would run for minutes) is stopped, queued ones
 * never run, ones whose module is still being fetched are dropped when it comes. The others' results are
 * right, the credits come back, and the worker takes new jobs at once.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sha256Hex } from '../../../core/abi/host.js'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { FEATURE_RECALL, JOB_PROTOCOL_VERSION, outcomeFromWire } from '../../../core/protocol/job-messages.js'
import type { WireJob, WorkerMessage } from '../../../core/protocol/job-messages.js'
import { WorkerAgent } from '../../../core/worker/worker-agent.js'
import { RecalledJobs } from '../../../core/worker/recalled-jobs.js'
import { jobFromWire } from '../../../core/protocol/job-messages.js'
import { Fifo } from '../../../core/util/fifo.js'
import type { Job } from '../../../core/jobs.js'
import { ThreadPool } from '../../../node-peer/executor/pool.js'
import { loadExecutorFixtures } from '../../fixtures/executor/fixtures.js'
import { pair } from '../../helpers/channel-pair.js'

const fixtures = await loadExecutorFixtures()
const [double, spin] = await Promise.all([sha256Hex(fixtures.double), sha256Hex(fixtures.spin)])
const bytesOf = new Map([[double, fixtures.double], [spin, fixtures.spin]])

const job = (id: number, module: string, name: string, input: number, timeoutMs = 120_000): WireJob => [id, module, name, encodeValue(input), timeoutMs]

/** Waits (bounded) until the worker has sent what `done` looks for. */
async function until (sent: readonly WorkerMessage[], done: (sent: readonly WorkerMessage[]) => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!done(sent) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  assert.ok(done(sent), `${what} within ${ms} ms; the worker sent: ${JSON.stringify(sent.map(m => m.t))}`)
}

const droppedIds = (sent: readonly WorkerMessage[]): number[] => sent.flatMap(m => m.t === 'dropped' ? m.ids : []).sort((a, b) => a - b)
const results = (sent: readonly WorkerMessage[]): Map<number, unknown> => new Map(sent.flatMap(m => m.t === 'results' ? m.results.map(outcomeFromWire) : []).map(o => [o.id, o.ok ? decodeValue(o.outputs[0].bytes) : o.error.name]))
const pulled = (sent: readonly WorkerMessage[]): number => sent.reduce((n, m) => n + (m.t === 'pull' ? m.credits : 0), 0)

describe('WorkerAgent recall', () => {
  it('stops the running recalled job, drops the queued and the fetching ones, and answers each once', async () => {
    const pool = new ThreadPool({ threads: 2 }) // credits for 4 jobs from the start
    let release: () => void = () => {}
    const held = new Promise<void>(resolve => { release = resolve })
    const recalled: number[] = []
    const agent = new WorkerAgent({
      executor: pool,
      info: { name: 'w', threads: 1, platform: 'test', labels: [] },
      // the spin module arrives at once; `double` only when the test says (its jobs wait for it meanwhile)
      fetchModule: async hash => { if (hash === double) await held; return bytesOf.get(hash)! },
      events: { recalled: n => recalled.push(n) }
    })
    const { worker, coordinator } = pair()
    const attached = agent.attach(worker)
    try {
      await until(worker.sent, s => s.some(m => m.t === 'hello'), 'a hello')
      const hello = worker.sent.find(m => m.t === 'hello')
      assert.ok(hello?.t === 'hello' && hello.features?.includes(FEATURE_RECALL), 'the worker announces the feature')
      coordinator.send({ t: 'welcome', v: JOB_PROTOCOL_VERSION, flow: 'f', run: 'r' })
      await until(worker.sent, s => pulled(s) >= 4, 'credits for 4 jobs')
      // two spins (running on the two threads) and, in another message, two doubles whose module is held
      coordinator.send({ t: 'jobs', jobs: [job(1, spin, 'spin', 0), job(2, spin, 'spin', 0)] })
      coordinator.send({ t: 'jobs', jobs: [job(3, double, 'double', 3), job(4, double, 'double', 4)] })
      await new Promise(resolve => setTimeout(resolve, 300)) // the spins have started
      const before = pulled(worker.sent)
      coordinator.send({ t: 'recall', ids: [1, 2, 3, 99] }) // 99: never held, ignored
      await until(worker.sent, s => droppedIds(s).length === 2, 'the spins dropped')
      release()
      await until(worker.sent, s => droppedIds(s).length === 3 && results(s).size === 1, 'job 3 dropped and job 4 answered')
      assert.deepEqual(droppedIds(worker.sent), [1, 2, 3])
      assert.deepEqual([...results(worker.sent)], [[4, 8]], 'only the job not recalled has a result')
      assert.equal(agent.stats.jobsRecalled, 3)
      assert.equal(agent.stats.jobsDone, 1)
      assert.equal(agent.stats.jobsFailed, 0)
      assert.equal(recalled.reduce((a, b) => a + b, 0), 3)
      assert.equal(agent.jobsHeld, 0)
      assert.ok(pulled(worker.sent) > before, 'the credits of the dropped jobs came back')
      // the threads that spun were replaced: new work runs at once
      coordinator.send({ t: 'jobs', jobs: [job(5, double, 'double', 21)] })
      await until(worker.sent, s => results(s).has(5), 'the next job answered')
      assert.equal(results(worker.sent).get(5), 42)
      assert.equal(droppedIds(worker.sent).length, 3, 'nothing else dropped')
    } finally {
      await coordinator.close()
      await attached
      await pool.close()
    }
  })

  it('takes recalled jobs out of the queue in place, and drops the rest when they come back', async () => {
    const pool = new ThreadPool({ threads: 1 })
    try {
      const recalled = new RecalledJobs()
      const queue = new Fifo<Job>()
      for (let id = 1; id <= 6; id++) queue.push(jobFromWire(job(id, double, 'double', id)))
      // 2 and 5 are queued here; 7 and 8 are elsewhere (in the executor, or waiting for their module)
      assert.deepEqual(recalled.recall([2, 5, 7, 8], queue, pool), [2, 5])
      const left: number[] = []
      for (let j = queue.shift(); j != null; j = queue.shift()) left.push(j.id)
      assert.deepEqual(left, [1, 3, 4, 6], 'the others keep their order')
      const outcome = (id: number): { id: number, ok: true, outputs: [] } => ({ id, ok: true, outputs: [] })
      // one partition serves both: outcomes back from the executor, and jobs whose module arrived
      const outcomes = recalled.sift([outcome(11), outcome(7), outcome(9)])
      assert.deepEqual([outcomes.dropped, outcomes.kept.map(o => o.id)], [[7], [11, 9]], 'the rest keep their order')
      const arrived = recalled.sift([jobFromWire(job(8, double, 'double', 8)), jobFromWire(job(10, double, 'double', 10))])
      assert.deepEqual([arrived.dropped, arrived.kept.map(j => j.id)], [[8], [10]])
      assert.deepEqual(recalled.sift([outcome(7), outcome(8)]).dropped, [], 'each is answered once')
    } finally {
      await pool.close()
    }
  })

  it('passes everything through untouched while no recall is pending', async () => {
    const pool = new ThreadPool({ threads: 1 })
    try {
      const recalled = new RecalledJobs()
      const queue = new Fifo<Job>()
      queue.push(jobFromWire(job(1, double, 'double', 1)))
      const outcomes = [{ id: 3, ok: true as const, outputs: [] }]
      assert.equal(recalled.sift(outcomes).kept, outcomes, 'the same array, not a copy')
      // a recall answered wholly from the queue leaves nothing pending
      assert.deepEqual(recalled.recall([1], queue, pool), [1])
      const jobs = [jobFromWire(job(1, double, 'double', 1))]
      const sifted = recalled.sift(jobs)
      assert.deepEqual(sifted.dropped, [])
      assert.equal(sifted.kept, jobs, 'an id answered from the queue is not dropped again')
      // an id recalled in the executor stays pending while others come back, until it does or clear()
      assert.deepEqual(recalled.recall([2], queue, pool), [])
      assert.deepEqual(recalled.sift(outcomes).dropped, [])
      recalled.clear()
      const after = [{ id: 2, ok: true as const, outputs: [] }]
      assert.equal(recalled.sift(after).kept, after, 'clear() forgets what was pending')
    } finally {
      await pool.close()
    }
  })
})
