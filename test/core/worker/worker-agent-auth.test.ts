/**
 * Mutual join proof, worker side: a WorkerAgent with a secret answers and takes work only from a coordinator
 * that proved the same secret first. The honest coordinator is the real WorkerSession (real FlowRun); fake
 * coordinators are driven by hand. Both ends talk through an in-memory channel pair that sends every message
 * through the codec and the protocol guards, as the wire does.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeValue } from '../../../core/codec.js'
import { buildGraph } from '../../../core/flow/graph.js'
import type { FlowSpec } from '../../../core/flow/model.js'
import { COORDINATOR_PROOF_TIMEOUT_MS, UntrustedCoordinatorError, WorkerAgent } from '../../../core/worker/worker-agent.js'
import type { WorkerEvents } from '../../../core/worker/worker-agent.js'
import { WorkerSession } from '../../../core/peer/worker-session.js'
import type { SessionAuth } from '../../../core/peer/worker-session.js'
import { JOB_PROTOCOL_VERSION } from '../../../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerMessage } from '../../../core/protocol/job-messages.js'
import { coordinatorProof, joinProof, verifyJoinProof } from '../../../core/protocol/join-proof.js'
import { FlowRun } from '../../../core/run/flow-run.js'
import { stateOf } from '../../helpers/run-internals.js'
import { pair } from '../../helpers/channel-pair.js'
import type { Job, JobExecutor, JobOutcome } from '../../../core/jobs.js'

const SECRET = 'mutual secret'
const WORKER = '12D3KooWworker'
const COORDINATOR = '12D3KooWcoordinator'

/** Records what the agent hands its executor and code fetcher: a refused coordinator must get neither. */
class RecordingExecutor implements JobExecutor {
  readonly slots = 1
  readonly ran: Job[] = []
  fetched: string[] = []
  async addModule (): Promise<void> {}
  hasModule (): boolean { return false }
  async run (batch: readonly Job[]): Promise<JobOutcome[]> {
    this.ran.push(...batch)
    return batch.map(job => ({ id: job.id, ok: true, outputs: [] }))
  }

  async close (): Promise<void> {}
}

function makeRun (): FlowRun {
  const spec: FlowSpec = {
    name: 'test',
    file: 'flow.json',
    functions: { square: { name: 'square', wasm: 'square.wasm', export: 'square' } },
    sources: { nums: { kind: 'values', name: 'nums', values: [1, 2, 3] } },
    stages: { sq: { kind: 'map', name: 'sq', function: 'square', inputs: ['nums'], outputs: ['out'], timeoutMs: 1000, retries: 0 } },
    sinks: { print: { kind: 'stdout', name: 'print', inputs: ['sq'] } }
  }
  const run = new FlowRun({
    spec,
    graph: buildGraph(spec),
    functions: new Map([['square', { module: 'hash', export: 'square' }]]),
    openSource: () => { throw new Error('not used') },
    openSink: async () => { throw new Error('not used') }
  })
  for (const v of [1, 2, 3]) stateOf(run).offerSourceItem('nums', encodeValue(v))
  stateOf(run).sourceExhausted('nums')
  return run
}

function makeAgent (secret: string | undefined, events: WorkerEvents = {}): { agent: WorkerAgent, executor: RecordingExecutor } {
  const executor = new RecordingExecutor()
  const agent = new WorkerAgent({
    executor,
    info: { name: 'w', threads: 1, platform: 'test', labels: [] },
    fetchModule: async hash => { executor.fetched.push(hash); throw new Error('no code here') },
    secret,
    events
  })
  return { agent, executor }
}

const peers = { self: WORKER, coordinator: COORDINATOR }

/** The session's end, or a failure if the worker is still attached after `ms` (it should have left at once). */
async function ended (attached: Promise<Error | undefined>, ms = 5000): Promise<Error | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`the worker is still attached after ${ms} ms`)) }, ms) })
  try {
    return await Promise.race([attached, late])
  } finally {
    clearTimeout(timer)
  }
}

/** A real coordinator session (with `secret`, or none) against an agent; resolves when the session ends. */
async function againstSession (workerSecret: string | undefined, coordinatorSecret: string | undefined): Promise<{
  reason: Error | undefined, workerSent: WorkerMessage[], coordinatorSent: CoordinatorMessage[], session: WorkerSession,
  refused: Array<[string, boolean]>, proven: string[], executor: RecordingExecutor
}> {
  const { worker, coordinator } = pair()
  const refused: Array<[string, boolean]> = []
  const auth: SessionAuth | undefined = coordinatorSecret != null ? { secret: coordinatorSecret, workerPeer: WORKER, coordinatorPeer: COORDINATOR } : undefined
  const session = new WorkerSession(makeRun(), coordinator, 'test', 'run-1', info => `worker/${info.name}`, { refused: (r, b) => refused.push([r, b]) }, auth)
  const proven: string[] = []
  const { agent, executor } = makeAgent(workerSecret, { proven: p => proven.push(p) })
  const attached = agent.attach(worker, peers)
  // the honest case never ends by itself: end it once the worker holds its jobs
  for (let i = 0; i < 200 && !worker.closed && executor.fetched.length === 0; i++) await new Promise(resolve => setTimeout(resolve, 5))
  if (!worker.closed) await worker.close()
  return { reason: await ended(attached), workerSent: worker.sent, coordinatorSent: coordinator.sent, session, refused, proven, executor }
}

describe('WorkerAgent with a join secret (mutual proof)', () => {
  it('joins a coordinator with the same secret: checks its proof, then proves itself, then pulls', async () => {
    const r = await againstSession(SECRET, SECRET)
    assert.equal(r.reason, undefined)
    const hello = r.workerSent[0]
    assert.ok(hello.t === 'hello' && hello.nonce != null && hello.nonce.length === 32, 'the hello carries a nonce')
    const challenge = r.coordinatorSent[0]
    assert.ok(challenge.t === 'challenge' && challenge.proof != null, 'the challenge carries the coordinator proof')
    assert.deepEqual(challenge.proof, await coordinatorProof(SECRET, hello.nonce, COORDINATOR, WORKER))
    assert.deepEqual(r.workerSent.slice(0, 3).map(m => m.t), ['hello', 'proof', 'pull'], 'no credits before the proof')
    const proof = r.workerSent[1]
    assert.ok(proof.t === 'proof' && await verifyJoinProof(SECRET, challenge.nonce, WORKER, COORDINATOR, proof.proof))
    assert.deepEqual(r.proven, [COORDINATOR])
    assert.equal(r.session.id, 'worker/w', 'admitted')
    assert.ok(r.coordinatorSent.some(m => m.t === 'jobs'), 'and given work')
    assert.deepEqual(r.executor.fetched, ['hash'], 'the jobs were taken (their module fetched)')
  })

  it('leaves a coordinator without a secret (welcome, no challenge) without pulling', async () => {
    const r = await againstSession(SECRET, undefined)
    assert.ok(r.reason instanceof UntrustedCoordinatorError)
    assert.match(r.reason.message, /coordinator 12D3KooWcoordinator does not know the join secret \(it sent `welcome` without a challenge/)
    assert.deepEqual(r.workerSent.map(m => m.t), ['hello', 'bye'])
    assert.deepEqual(r.executor.ran, [])
    assert.deepEqual(r.executor.fetched, [])
    assert.deepEqual(r.proven, [])
  })

  it('leaves a coordinator with another secret without sending its proof; the coordinator logs why', async () => {
    const r = await againstSession(SECRET, 'another secret')
    assert.ok(r.reason instanceof UntrustedCoordinatorError)
    assert.match(r.reason.message, /the proof in its challenge is wrong/)
    assert.deepEqual(r.workerSent.map(m => m.t), ['hello', 'bye'], 'never a proof, never a pull')
    assert.equal(r.session.id, undefined, 'never admitted')
    assert.equal(r.refused.length, 1)
    assert.match(r.refused[0][0], /left before proving the join secret/)
    assert.equal(r.refused[0][1], false, 'not a breach: the worker did nothing wrong')
  })

  it('a worker without a secret is unchanged: no nonce, credits at once, an empty proof when challenged', async () => {
    const r = await againstSession(undefined, SECRET)
    const hello = r.workerSent[0]
    assert.ok(hello.t === 'hello' && !('nonce' in hello))
    assert.deepEqual(r.workerSent.map(m => m.t), ['hello', 'pull', 'proof'])
    const challenge = r.coordinatorSent[0]
    assert.ok(challenge.t === 'challenge' && !('proof' in challenge), 'no coordinator proof without a worker nonce')
    assert.match(r.refused[0][0], /requires a join secret and the worker has none/)
  })

  describe('hand-made fake coordinators', () => {
    /** Runs `script` as the coordinator after the hello; resolves with what the worker sent and how it ended. */
    async function fake (script: (hello: Extract<WorkerMessage, { t: 'hello' }>, send: (m: CoordinatorMessage) => void) => Promise<void> | void): Promise<{ reason: Error | undefined, workerSent: WorkerMessage[], executor: RecordingExecutor }> {
      const { worker, coordinator } = pair()
      coordinator.onMessage(m => {
        if (m.t === 'hello') void script(m, msg => { if (!coordinator.closed) coordinator.send(msg) })
      })
      const { agent, executor } = makeAgent(SECRET)
      const reason = await ended(agent.attach(worker, peers))
      await new Promise(resolve => setTimeout(resolve, 20)) // anything the agent might still do would show here
      return { reason, workerSent: worker.sent, executor }
    }

    const cases: Array<[string, Parameters<typeof fake>[0], RegExp]> = [
      ['a garbage proof', (_, send) => { send({ t: 'challenge', nonce: new Uint8Array(32).fill(7), proof: new Uint8Array(32).fill(9) }) }, /the proof in its challenge is wrong/],
      ['no proof (an older coordinator)', (_, send) => { send({ t: 'challenge', nonce: new Uint8Array(32).fill(7) }) }, /its challenge carries no proof/],
      ['a proof with the peer ids swapped', async (hello, send) => {
        send({ t: 'challenge', nonce: new Uint8Array(32).fill(7), proof: await coordinatorProof(SECRET, hello.nonce!, WORKER, COORDINATOR) })
      }, /the proof in its challenge is wrong/],
      ['a worker-label proof over its nonce (reflection)', async (hello, send) => {
        send({ t: 'challenge', nonce: new Uint8Array(32).fill(7), proof: await joinProof(SECRET, hello.nonce!, COORDINATOR, WORKER) })
      }, /the proof in its challenge is wrong/],
      ['a proof over another nonce (replay)', async (_, send) => {
        send({ t: 'challenge', nonce: new Uint8Array(32).fill(7), proof: await coordinatorProof(SECRET, new Uint8Array(32), COORDINATOR, WORKER) })
      }, /the proof in its challenge is wrong/],
      ['jobs with no challenge', (_, send) => {
        send({ t: 'welcome', v: JOB_PROTOCOL_VERSION, flow: 'f', run: 'r' })
        send({ t: 'jobs', jobs: [[1, 'hash', 'square', encodeValue(2), 1000]] })
      }, /it sent `welcome` without a challenge/],
      ['jobs right behind a valid-looking challenge, before the worker checked it', (_, send) => {
        send({ t: 'challenge', nonce: new Uint8Array(32).fill(7), proof: new Uint8Array(32) })
        send({ t: 'jobs', jobs: [[1, 'hash', 'square', encodeValue(2), 1000]] })
      }, /it sent `jobs` before proving it/]
    ]
    for (const [what, script, why] of cases) {
      it(`refuses ${what}: leaves with the reason, never sends its proof, takes no job`, async () => {
        const r = await fake(script)
        assert.ok(r.reason instanceof UntrustedCoordinatorError, String(r.reason))
        assert.match(r.reason.message, /does not know the join secret/)
        assert.match(r.reason.message, why)
        assert.deepEqual(r.workerSent.map(m => m.t), ['hello', 'bye'])
        assert.deepEqual(r.executor.ran, [])
        assert.deepEqual(r.executor.fetched, [])
      })
    }

    it('leaves a coordinator that never answers the hello', async t => {
      t.mock.timers.enable({ apis: ['setTimeout'] })
      const { worker } = pair()
      const { agent } = makeAgent(SECRET)
      const attached = agent.attach(worker, peers)
      t.mock.timers.tick(COORDINATOR_PROOF_TIMEOUT_MS - 1)
      assert.equal(worker.closed, false)
      t.mock.timers.tick(1)
      t.mock.timers.reset() // close() goes through microtasks only
      const reason = await attached
      assert.ok(reason instanceof UntrustedCoordinatorError)
      assert.match(reason.message, /no challenge with a valid proof within 10000 ms/)
      assert.deepEqual(worker.sent.map(m => m.t), ['hello', 'bye'])
    })
  })
})
