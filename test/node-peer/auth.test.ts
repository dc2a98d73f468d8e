/**
 * Authentication and abuse limits against a real coordinator process with a join secret (127.0.0.1 only):
 * workers without the secret are refused and get no jobs, a worker with a wrong one refuses the coordinator
 * (its proof does not check out) and never answers, the coordinator proves the secret to a worker that sends
 * a nonce and still admits one that sends none (an older worker), a proof replayed from another
 * session or made for another coordinator is refused, a result for a job another worker holds is refused,
 * peers that keep breaking the protocol, hoard job streams over several connections or flood gossip are
 * disconnected and then refused by the connection gater, and an honest worker with the secret (from
 * EDGE_GRID_SECRET) completes the flow exactly.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { encodeValue } from '../../core/codec.js'
import { ANNOUNCE_TOPIC } from '../../core/protocol/announce.js'
import { FrameChannel } from '../../core/protocol/frame-channel.js'
import { encodeFrame } from '../../core/protocol/frames.js'
import { FEATURE_CHUNKS, FEATURE_ITEM_CHUNKS, FEATURE_SIDE_INPUTS, isCoordinatorMessage, JOB_PROTOCOL, JOB_PROTOCOL_VERSION, MAX_JOB_FRAME_BYTES } from '../../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerMessage } from '../../core/protocol/job-messages.js'
import { joinProof, newJoinNonce, verifyCoordinatorProof } from '../../core/protocol/join-proof.js'
import { MAX_JOB_MESSAGES_PER_SECOND } from '../../core/peer/peer-limits.js'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import type { GridNode } from '../../node-peer/net/node.js'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import { Proc } from '../helpers/processes.js'
import { runCoordinator } from '../helpers/cli.js'
import { freePort, newKey, startNode, waitFor } from './net/nodes.js'

const SECRET = 'correct horse battery staple'

/** A hand-driven job session: everything the coordinator sends is collected in `received`. */
class Session {
  readonly received: CoordinatorMessage[] = []
  closed = false
  private constructor (readonly channel: FrameChannel<CoordinatorMessage, WorkerMessage>) {
    channel.onMessage(m => { this.received.push(m) })
    channel.onClose(() => { this.closed = true })
  }

  /** `nonce`: as a worker with a secret sends it (asks for the coordinator's proof); none, as older workers. */
  static async open (node: GridNode, coordinator: PeerId, name: string, nonce?: Uint8Array): Promise<Session> {
    const stream = await node.dialProtocol(coordinator, JOB_PROTOCOL)
    const session = new Session(new FrameChannel<CoordinatorMessage, WorkerMessage>(stream, { guard: isCoordinatorMessage, maxFrameBytes: MAX_JOB_FRAME_BYTES }))
    // the features of today's workers: the primes range is handed out in chunks, only to workers that run them
    const hello = { t: 'hello', v: JOB_PROTOCOL_VERSION, worker: { name, threads: 1, platform: 'test', labels: [] }, features: [FEATURE_SIDE_INPUTS, FEATURE_CHUNKS, FEATURE_ITEM_CHUNKS] } as const
    session.channel.send(nonce == null ? hello : { ...hello, nonce })
    return session
  }

  async next<T extends CoordinatorMessage['t']> (t: T): Promise<Extract<CoordinatorMessage, { t: T }>> {
    await waitFor(() => this.received.some(m => m.t === t) || this.closed, 10_000, `a ${t} message`)
    const m = this.received.find(m => m.t === t)
    assert.ok(m != null, `expected ${t}, got ${JSON.stringify(this.received.map(m => m.t))} before the stream closed`)
    return m as Extract<CoordinatorMessage, { t: T }>
  }
}

it('join secret: refused without it or with a replayed proof, a worker with a wrong one leaves unanswered; broken frames, stream hoarding and gossip floods get the peer refused; an honest worker completes the flow', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-auth-'))
  const identity = join(dir, 'coordinator.key')
  const coordinatorId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
  const tcp = await freePort()
  const ws = await freePort()
  const wsAddr = `/ip4/127.0.0.1/tcp/${ws}/ws/p2p/${coordinatorId.toString()}`
  const addr = `/ip4/127.0.0.1/tcp/${tcp}/p2p/${coordinatorId.toString()}`
  const run = await copyExample('primes')
  delete process.env.EDGE_GRID_SECRET // the children inherit our environment
  const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', `/ip4/127.0.0.1/tcp/${tcp}`, '--listen', `/ip4/127.0.0.1/tcp/${ws}/ws`,
    '--identity', identity, '--secret', SECRET, '--wait-workers', '1', '--report', join(run, 'report.json')])
  const procs: Proc[] = []
  const nodes: GridNode[] = []
  const worker = (name: string, extra: string[] = []): Proc => {
    const p = new Proc('grid-worker', ['--bootstrap', addr, '--threads', '1', '--name', name, '--cache', join(dir, `cache-${name}`), '--quiet', ...extra])
    procs.push(p)
    return p
  }
  const rogue = async (): Promise<GridNode> => {
    const node = await startNode({ privateKey: await newKey() })
    nodes.push(node)
    // libp2p itself refuses more than a few connections per second from one host (inboundConnectionThreshold)
    await waitFor(async () => await node.dial(multiaddr(addr)).then(() => true, () => false), 10_000, 'a rogue connection')
    return node
  }
  try {
    await coordinator.waitFor(/a join secret is required/)

    // 1. no secret: refused with a reason both sides log, no jobs
    const anonymous = worker('anonymous')
    await anonymous.waitFor(/refused by the coordinator: this coordinator requires a join secret/)
    await coordinator.waitFor(/! refused peer …\S+: this coordinator requires a join secret/)
    anonymous.kill()
    // 2. a wrong secret: the coordinator's proof does not check out, so the worker leaves without answering
    const wrong = worker('wrong', ['--secret', 'not the secret'])
    await wrong.waitFor(new RegExp(`coordinator ${coordinatorId.toString()} does not know the join secret \\(the proof in its challenge is wrong`))
    await coordinator.waitFor(/! refused peer …\S+: left before proving the join secret/)
    assert.doesNotMatch(coordinator.output, /wrong join proof/, 'the worker never sent its proof')
    wrong.kill()
    await Promise.all([anonymous.exited, wrong.exited])

    // 3. replays: a hand-made session proves it can join with a right proof, then its proof is replayed. It
    // sends a nonce, as workers with a secret do: the challenge carries the coordinator's proof over it
    const thief = await rogue()
    const helloNonce = newJoinNonce()
    const first = await Session.open(thief, coordinatorId, 'thief', helloNonce)
    const { nonce, proof: shown } = await first.next('challenge')
    assert.ok(shown != null && await verifyCoordinatorProof(SECRET, helloNonce, coordinatorId.toString(), thief.peerId.toString(), shown), 'the coordinator proves the secret')
    const proof = await joinProof(SECRET, nonce, thief.peerId.toString(), coordinatorId.toString())
    first.channel.send({ t: 'proof', proof })
    assert.equal((await first.next('welcome')).t, 'welcome', 'the test computes proofs the way workers do')
    first.channel.send({ t: 'bye' })
    await first.channel.close()
    const replayed = await Session.open(thief, coordinatorId, 'thief') // no nonce: an older worker, still served
    assert.equal((await replayed.next('challenge')).proof, undefined, 'no coordinator proof without a worker nonce')
    replayed.channel.send({ t: 'proof', proof }) // valid once, for another nonce
    assert.match((await replayed.next('refused')).reason, /wrong join proof/)
    await waitFor(() => replayed.closed, 10_000, 'the replay session to be closed')
    assert.equal(replayed.received.some(m => m.t === 'welcome' || m.t === 'jobs'), false)
    const elsewhere = await Session.open(thief, coordinatorId, 'thief')
    const challenge = await elsewhere.next('challenge')
    const otherCoordinator = peerIdFromPrivateKey(await newKey()).toString()
    elsewhere.channel.send({ t: 'proof', proof: await joinProof(SECRET, challenge.nonce, thief.peerId.toString(), otherCoordinator) })
    assert.match((await elsewhere.next('refused')).reason, /wrong join proof/)

    // 4. a peer with the secret cannot report a result for a job leased to another worker (poisoning)
    const joined = async (name: string): Promise<{ node: GridNode, session: Session }> => {
      const node = await rogue()
      const session = await Session.open(node, coordinatorId, name)
      const { nonce } = await session.next('challenge')
      session.channel.send({ t: 'proof', proof: await joinProof(SECRET, nonce, node.peerId.toString(), coordinatorId.toString()) })
      await session.next('welcome')
      return { node, session }
    }
    const holder = await joined('holder')
    holder.session.channel.send({ t: 'pull', credits: 1 })
    const [[jobId]] = (await holder.session.next('jobs')).jobs
    const forger = await joined('forger')
    forger.session.channel.send({ t: 'results', results: [[jobId, 1, [[0, encodeValue('forged')]]]] })
    assert.match((await forger.session.next('refused')).reason, new RegExp(`a result for job ${jobId}, which this worker does not hold`))
    await holder.session.channel.close() // its job goes back to the queue, for the honest worker
    // ... nor flood its job stream with messages
    const spammer = await joined('spammer')
    for (let round = 0; round < 10 && !spammer.session.closed; round++) {
      try {
        for (let i = 0; i < MAX_JOB_MESSAGES_PER_SECOND + 10_000; i++) spammer.session.channel.send({ t: 'pull', credits: 0 })
      } catch { /* refused and closed meanwhile */ }
      await new Promise(resolve => setTimeout(resolve, 300))
    }
    assert.match((await spammer.session.next('refused')).reason, /more than \d+ messages in a second/)

    // 5. a peer that keeps breaking the protocol is disconnected, then refused at connect time
    const vandal = await rogue()
    for (let i = 0; i < 3; i++) {
      const stream = await vandal.dialProtocol(coordinatorId, JOB_PROTOCOL)
      stream.send(encodeFrame(new Uint8Array([0xc1, 0xc1])))
      await waitFor(() => stream.status !== 'open', 10_000, 'the coordinator to close the stream')
    }
    const vandalTail = vandal.peerId.toString().slice(-8)
    await coordinator.waitFor(new RegExp(`! peer …${vandalTail} broke the job protocol: disconnected and refused`))
    await waitFor(() => vandal.getConnections(coordinatorId).length === 0, 10_000, 'the vandal to be disconnected')
    for (let attempt = 0; attempt < 2; attempt++) {
      // spaced beyond libp2p's own per-host connection rate limit, so the refusal is the gater's
      await new Promise(resolve => setTimeout(resolve, 1200))
      await assert.rejects(async () => { await (await vandal.dial(multiaddr(addr))).newStream(JOB_PROTOCOL) }, 'a refused peer cannot connect again')
    }

    // 6. a peer that opens job streams over several connections (libp2p caps them per connection)
    const hoarder = await rogue()
    await Session.open(hoarder, coordinatorId, 'h1')
    await Session.open(hoarder, coordinatorId, 'h2')
    const hoarderTail = hoarder.peerId.toString().slice(-8)
    const hoarded = new RegExp(`! peer …${hoarderTail} more than \\d+ job streams at once: disconnected and refused`)
    await waitFor(async () => {
      const extra = await hoarder.dial(multiaddr(wsAddr), { force: true }).then(async c => await c.newStream(JOB_PROTOCOL)).catch(() => undefined)
      if (extra != null) await waitFor(() => extra.status !== 'open', 10_000, 'the extra stream to be closed')
      else await new Promise(resolve => setTimeout(resolve, 200)) // the per-host connection rate limit
      return hoarded.test(coordinator.output)
    }, 20_000, 'the stream hoarder to be refused')
    await waitFor(() => hoarder.getConnections(coordinatorId).length === 0, 10_000, 'the hoarder to be disconnected')

    // 7. a gossip flood: the flooder is disconnected and refused
    const flooder = await rogue()
    flooder.services.pubsub.subscribe(ANNOUNCE_TOPIC)
    await waitFor(() => flooder.services.pubsub.getSubscribers(ANNOUNCE_TOPIC).some(p => p.equals(coordinatorId)), 10_000, 'the coordinator to be subscribed')
    const flooderTail = flooder.peerId.toString().slice(-8)
    const banned = new RegExp(`! peer …${flooderTail} more than \\d+ gossip messages in a second: disconnected and refused`)
    await waitFor(async () => {
      for (let i = 0; i < 50; i++) await flooder.services.pubsub.publish(ANNOUNCE_TOPIC, encodeValue({ t: 'worker', name: 'flood', i })).catch(() => {})
      await new Promise(resolve => setTimeout(resolve, 100))
      return banned.test(coordinator.output)
    }, 15_000, 'the flooder to be refused')
    await waitFor(() => flooder.getConnections(coordinatorId).length === 0, 10_000, 'the flooder to be disconnected')

    // 8. the honest worker, secret from the environment
    process.env.EDGE_GRID_SECRET = SECRET
    worker('honest')
    delete process.env.EDGE_GRID_SECRET
    const { code } = await coordinator.exited
    assert.equal(code, 0, coordinator.output.slice(-3000))
    const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
    await checkExample('primes', run, coordinator.output, report)
    assert.deepEqual(Object.keys(report.perWorker), ['worker/honest'], 'only the honest worker ran jobs')
    assert.doesNotMatch(coordinator.output, /worker\/(anonymous|wrong) joined/)
    assert.doesNotMatch(coordinator.output, new RegExp(SECRET), 'the secret is never printed')
  } catch (err) {
    console.error(coordinator.output.slice(-4000))
    throw err
  } finally {
    delete process.env.EDGE_GRID_SECRET
    await Promise.all(nodes.map(async n => await n.stop()))
    for (const p of [coordinator, ...procs]) p.kill('SIGKILL')
    await Promise.all([coordinator, ...procs].map(async p => await p.exited))
  }
})

it('grid-coordinator --spawn --secret: the spawned workers get the secret and complete the flow', async () => {
  const run = await copyExample('collatz')
  const result = await runCoordinator([join(run, 'flow.json'), '--spawn', '1', '--secret', SECRET, '--report', join(run, 'report.json')])
  assert.equal(result.code, 0, result.stderr.slice(-3000))
  const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
  await checkExample('collatz', run, result.stdout, report)
  assert.ok(report.perWorker['worker/0'] > 0)
  assert.doesNotMatch(result.stderr, /refused/)
})
