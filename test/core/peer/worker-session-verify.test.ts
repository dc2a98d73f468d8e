/**
 * WorkerSession and result verification: a worker that verification refuses mid-run has its session closed
 * with a `refused` reason, and a later join under the same id is refused before any welcome or job.
 * Real FlowRun and RunState; the channel is an in-memory stub recording what the coordinator sends.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { buildGraph } from '../../../core/flow/graph.js'
import type { FlowSpec } from '../../../core/flow/model.js'
import type { SessionChannel } from '../../../core/peer/session-channel.js'
import { REFUSED_BY_VERIFICATION, WorkerSession } from '../../../core/peer/worker-session.js'
import { JOB_PROTOCOL_VERSION } from '../../../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerMessage } from '../../../core/protocol/job-messages.js'
import { FlowRun } from '../../../core/run/flow-run.js'
import { stateOf } from '../../helpers/run-internals.js'
import { REFUSE_AFTER_DISAGREEMENTS } from '../../../core/run/verification.js'
import type { Job, JobOutcome } from '../../../core/jobs.js'
import { perItem } from '../../helpers/chunk-jobs.js'

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
}

const values = Array.from({ length: 12 }, (_, i) => i + 1)

function makeRun (): FlowRun {
  const spec: FlowSpec = {
    name: 'test',
    file: 'flow.json',
    functions: { square: { name: 'square', wasm: 'square.wasm', export: 'square' } },
    sources: { nums: { kind: 'values', name: 'nums', values } },
    stages: { sq: { kind: 'map', name: 'sq', function: 'square', inputs: ['nums'], outputs: ['out'], timeoutMs: 1000, retries: 0, verify: { replicas: 2 } } },
    sinks: { print: { kind: 'stdout', name: 'print', inputs: ['sq'] } }
  }
  return new FlowRun({
    spec,
    graph: buildGraph(spec),
    functions: new Map([['square', { module: 'hash', export: 'square' }]]),
    openSource: () => { throw new Error('not used') },
    openSink: async () => { throw new Error('not used') }
  })
}

function execute (chunkOrJob: Job, liar: boolean): JobOutcome {
  return perItem(chunkOrJob, job => executeOne(job, liar))
}

function executeOne (job: Job, liar: boolean): JobOutcome {
  const bytes = encodeValue((decodeValue(job.input) as number) ** 2)
  if (liar) bytes[bytes.length - 1] ^= 1
  return { id: job.id, ok: true, outputs: [{ port: 0, bytes }] }
}

const hello = (name: string): WorkerMessage => ({ t: 'hello', v: JOB_PROTOCOL_VERSION, worker: { name, threads: 1, platform: 'test', labels: [] } })

describe('WorkerSession with result verification', () => {
  it('closes a refused worker\'s session with the reason and refuses it when it joins again', async () => {
    const run = makeRun()
    const channel = new StubChannel()
    const left: string[] = []
    const session = new WorkerSession(run, channel, 'test', 'run-1', info => `worker/${info.name}`, { left: (id, reason) => left.push(`${id}: ${reason}`) })
    channel.receive(hello('liar'))
    assert.equal(channel.sent[0].t, 'welcome')
    assert.equal(session.id, 'worker/liar')

    for (const v of values) stateOf(run).offerSourceItem('nums', encodeValue(v))
    stateOf(run).sourceExhausted('nums')
    // the liar gets its replicas through the session; honest workers through the run directly
    channel.receive({ t: 'pull', credits: values.length })
    const liarJobs = channel.sent.filter(m => m.t === 'jobs').flatMap(m => m.t === 'jobs' ? m.jobs : [])
    assert.equal(liarJobs.length, values.length, 'one replica of each job')
    const outcomes: JobOutcome[] = liarJobs.map(([id, , , input]) => execute({ id, fn: { module: 'hash', export: 'square' }, input, timeoutMs: 1000 }, true))
    // outcomes go to the run state directly: the run's sinks are not open (run() is not called here)
    for (const o of outcomes) stateOf(run).complete(o)
    for (let round = 0; round < 10 && !run.isRefused('worker/liar'); round++) {
      for (const w of ['a', 'b']) for (const job of run.takeJobs(values.length, w)) stateOf(run).complete(execute(job, false))
    }
    assert.equal(run.isRefused('worker/liar'), true)
    assert.ok((stateOf(run).verification.suspicious.get('worker/liar') ?? 0) >= REFUSE_AFTER_DISAGREEMENTS)
    const last = channel.sent[channel.sent.length - 1]
    assert.deepEqual(last, { t: 'refused', reason: REFUSED_BY_VERIFICATION })
    assert.equal(channel.closed, true)
    assert.deepEqual(left, [`worker/liar: refused (${REFUSED_BY_VERIFICATION})`])

    // joining again under the same id: refused at once, no welcome, no job
    const again = new StubChannel()
    const rejoin = new WorkerSession(run, again, 'test', 'run-1', info => `worker/${info.name}`)
    again.receive(hello('liar'))
    again.receive({ t: 'pull', credits: 10 })
    assert.deepEqual(again.sent, [{ t: 'refused', reason: REFUSED_BY_VERIFICATION }])
    assert.equal(again.closed, true)
    assert.equal(rejoin.id, undefined, 'never admitted')
    assert.equal(run.takeJobs(10, 'worker/liar').length, 0)
  })
})
