/**
 * Fuzz: thousands of random and mutated frames thrown at every protocol endpoint of a running coordinator
 * (job protocol, code protocol, gossipsub announce/side topics) and of a running grid-worker (its job
 * stream, from a peer holding the coordinator's identity). Neither process may crash or leak, and real
 * flows beside and after the attack must complete with exactly the right output.
 * The seed is printed; `FUZZ_SEED=<n>` replays a run (the frames; their interleaving still varies).
 *
 * Limits that shape the numbers: the first bad frame ends a job stream and three such streams get the
 * peer refused, and libp2p takes only a few new connections a second from one host, so most job-protocol
 * frames are guard-valid messages with hostile values and a few dozen per run take the rejection path;
 * the code protocol reads one frame per stream, so it gets 10,000 streams.
 */
import '../../node-peer/net/polyfill.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { sha256Hex } from '../../core/abi/host.js'
import { decodeValue, encodeValue } from '../../core/codec.js'
import { ANNOUNCE_TOPIC } from '../../core/protocol/announce.js'
import { CODE_PROTOCOL, serveCode } from '../../core/protocol/code-fetch.js'
import { encodeFrame, FrameDecoder } from '../../core/protocol/frames.js'
import { isCoordinatorMessage, isWorkerMessage, JOB_PROTOCOL, MAX_JOB_FRAME_BYTES } from '../../core/protocol/job-messages.js'
import { SIDE_TOPIC } from '../../core/protocol/side-gossip.js'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import { newKey } from './net/nodes.js'
import { copyCollatz, copyExample } from '../helpers/example-copy.js'
import { checkCollatzUpTo, checkExample } from '../helpers/example-checks.js'
import { acceptedFrame, fuzzFrame, fuzzSeed, mutateBytes, randomChunks, rejectedFrame, Rng, rssOf, weirdValue } from '../helpers/fuzz.js'
import type { FuzzFrame } from '../helpers/fuzz.js'
import { Proc } from '../helpers/processes.js'
import { freePort, startNode, waitFor } from './net/nodes.js'

const FRAMES_PER_ENDPOINT = 10_000
/**
 * The attack must reach its frame counts within this: a bound on the loop, not a speed target (a busy machine
 * sends more slowly; normally the counts are reached in well under a minute, while the flow beside still runs).
 */
const ATTACK_MS = 120_000
/** Collatz starts for the flow beside the attack: ~25 s on one thread, so it outlives a normal attack. */
const BESIDE_END = 50_001
/** The honest worker joins when the code attack has sent this many frames, or this long after the attack began. */
const HONEST_JOINS_AT_CODE_FRAMES = 7000
const HONEST_JOINS_AFTER_MS = 12_000
/** Each job attacker uses an identity at least this long (see jobAttack). */
const IDENTITY_MIN_MS = 300

const seed = fuzzSeed()
console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`)

// ---- real messages, the seeds of every mutation ----

const helloSeed = { t: 'hello', v: 1, worker: { name: 'seed', threads: 2, platform: 'node', labels: ['a'] }, features: ['side-inputs'] }
const WORKER_SEEDS = [
  helloSeed,
  { t: 'pull', credits: 64 },
  { t: 'results', results: [[7, 1, [[0, encodeValue(12)], [1, encodeValue([3, 8])]]], [9, 0, 'WasmTrapError', 'unreachable']] },
  { t: 'bye' },
  { t: 'proof', proof: new Uint8Array(32) }
]

function coordinatorSeeds (hash: string): unknown[] {
  return [
    { t: 'welcome', v: 1, flow: 'collatz', run: 'r1' },
    { t: 'jobs', jobs: [[1, hash, 'step', encodeValue(27), 5000], [2, hash, 'max_by_steps', encodeValue([[1, 0], [27, 111]]), 5000]] },
    { t: 'jobs', jobs: [[3, hash, 'step', encodeValue([5, 1]), 5000]], side: [['s', [3]]] },
    { t: 'side', name: 's', version: 1, value: encodeValue(42) },
    { t: 'done', ok: true },
    { t: 'refused', reason: 'no' },
    { t: 'challenge', nonce: new Uint8Array(32) }
  ]
}

const hex = (rng: Rng): string => Array.from(rng.bytes(32), b => b.toString(16).padStart(2, '0')).join('')

/** The highest job id a hostile pull has seen: ids are sequential, so the honest worker holds ids just below it. */
let frontier = 0

/** Job ids near the live frontier, across the range a flow of this size uses, and extremes: results for jobs the peer never got. */
function anyId (rng: Rng): number {
  const r = rng.next()
  if (r < 0.5 && frontier > 0) return Math.max(0, frontier - rng.int(20_000))
  return r < 0.9 ? rng.int(2 ** 23) : rng.pick([0, Number.MAX_SAFE_INTEGER, 2 ** 32, 2 ** 31 - 1])
}

/** Reads the jobs a hostile pull was sent, to learn the id frontier. */
function learnFrontier (stream: Stream): void {
  const decoder = new FrameDecoder({ maxFrameBytes: MAX_JOB_FRAME_BYTES })
  stream.addEventListener('message', evt => {
    try {
      for (const frame of decoder.decode(evt.data)) {
        const m = decodeValue(frame) as { t?: string, jobs?: Array<[number]> }
        if (m.t === 'jobs' && m.jobs != null) for (const [id] of m.jobs) frontier = Math.max(frontier, id)
      }
    } catch { /* not ours to judge */ }
  })
}

/** Guard-valid worker messages with hostile values. `mode` keeps pulls and results apart (see jobAttack). */
function validWorkerMessage (rng: Rng, mode: 'pull' | 'results'): unknown {
  const r = rng.int(100)
  if (r < 10) {
    return {
      t: 'hello',
      v: rng.chance(0.8) ? 1 : rng.int(1001),
      worker: { name: rng.string(256), threads: rng.int(4097), platform: rng.string(20), labels: Array.from({ length: rng.int(65) }, () => rng.string(64)) },
      ...(rng.chance(0.5) ? { features: Array.from({ length: rng.int(65) }, () => rng.pick(['side-inputs', rng.string(64)])) } : {})
    }
  }
  if (r < 14) return { t: 'proof', proof: rng.bytes(rng.int(65)) }
  if (r < 16) return { t: 'bye' }
  if (mode === 'pull') return { t: 'pull', credits: rng.pick([0, 1, rng.int(1_000_001), 1_000_000]) }
  return {
    t: 'results',
    results: Array.from({ length: rng.int(40) }, () => rng.chance(0.6)
      ? [anyId(rng), 1, Array.from({ length: rng.int(4) }, () => [rng.int(256), rng.chance(0.5) ? encodeValue(weirdValue(rng)) : rng.bytes(rng.int(40))])]
      : [anyId(rng), 0, rng.string(256), rng.string(300)])
  }
}

function validCoordinatorMessage (rng: Rng, hash: string): unknown {
  const r = rng.int(100)
  if (r < 10) return { t: 'welcome', v: rng.int(1001), flow: rng.string(256), run: rng.string(256) }
  if (r < 60) {
    const jobs = Array.from({ length: rng.int(12) }, () => [
      rng.chance(0.5) ? rng.int(1000) : anyId(rng),
      rng.pick([hash, hash, hex(rng), rng.string(128), '']),
      rng.pick(['step', 'max_by_steps', 'grid_alloc', 'memory', rng.string(30)]),
      rng.chance(0.5) ? encodeValue(weirdValue(rng)) : rng.bytes(rng.int(64)),
      rng.pick([0, 1, 50, 5000, rng.int(86_400_001)])
    ])
    const side = rng.chance(0.3) ? [[rng.string(10), jobs.map(j => j[0] as number)]] : undefined
    return side == null ? { t: 'jobs', jobs } : { t: 'jobs', jobs, side }
  }
  if (r < 75) return { t: 'side', name: rng.pick(['s', rng.string(256)]), version: anyId(rng), value: rng.chance(0.5) ? encodeValue(weirdValue(rng)) : rng.bytes(rng.int(100)) }
  if (r < 85) return { t: 'done', ok: rng.chance(0.5) }
  if (r < 93) return { t: 'refused', reason: rng.string(1024) }
  return { t: 'challenge', nonce: rng.bytes(16 + rng.int(49)) }
}

// ---- hostile peers ----

/** A bare libp2p node (TCP, Noise, yamux, nothing else): cheap enough to make hundreds of identities. */
async function bareNode (): Promise<Libp2p> {
  return await createLibp2p({ privateKey: await newKey(), transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], connectionMonitor: { enabled: false } })
}

/** libp2p refuses more than a few new inbound connections a second from one host: the job attackers rotate identities. */
async function dialRetrying (node: Libp2p, addr: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(5000) })
      return
    } catch (err) {
      if (attempt >= 20) throw err
      await new Promise(resolve => setTimeout(resolve, 250))
    }
  }
}

async function sendAll (rng: Rng, stream: Stream, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
  for (const chunk of randomChunks(rng, bytes)) {
    if (stream.status !== 'open') return
    if (!stream.send(chunk)) await stream.onDrain({ signal })
  }
}

async function settle (stream: Stream, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (stream.status === 'open' && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
  if (stream.status === 'open') stream.abort(new Error('fuzz: stream left open'))
}

interface Counts { frames: number, accepted: number, rejected: number, streams: number, identities: number, drops?: number }

function tally (counts: Counts, accepted: boolean): void {
  if (accepted) counts.accepted++
  else counts.rejected++
}

/**
 * Job protocol: each stream carries an optional hello, then guard-valid messages with hostile values, then
 * (usually) one frame that must end the stream. A stream either pulls or sends results, never both: a peer
 * that holds jobs and lies about them is what result verification is for, not the protocol layer; a peer
 * that holds none must not be able to complete anybody's job.
 */
async function jobAttack (rng: Rng, target: PeerId, addr: string, counts: Counts, until: () => boolean): Promise<void> {
  while (!until()) {
    const node = await bareNode()
    const born = Date.now()
    counts.identities++
    try {
      await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(5000) })
      for (let s = 0, violations = 0; s < 40 && violations < 3 && !until(); s++) {
        const signal = AbortSignal.timeout(5000)
        const stream = await node.dialProtocol(target, JOB_PROTOCOL, { signal, negotiateFully: false })
        counts.streams++
        const mode = rng.chance(0.1) ? 'pull' : 'results'
        if (mode === 'pull') learnFrontier(stream) // the jobs themselves are never run or answered
        else stream.addEventListener('message', () => {})
        const frames: FuzzFrame[] = []
        if (rng.chance(0.7)) frames.push(acceptedFrame(rng, [helloSeed], isWorkerMessage, () => helloSeed))
        for (let n = rng.int(200), tries = 0; frames.length < n && tries < 4 * n; tries++) {
          const f = acceptedFrame(rng, WORKER_SEEDS, isWorkerMessage, r => validWorkerMessage(r, mode))
          const m = f.value as { t: string, credits?: number, results?: unknown[] }
          if (mode === 'results' && m.t === 'pull' && m.credits !== 0) continue
          if (mode === 'pull' && m.t === 'results' && m.results?.length !== 0) continue
          frames.push(f)
        }
        const violate = rng.chance(0.4)
        if (violate) {
          frames.push(rejectedFrame(rng, WORKER_SEEDS, isWorkerMessage))
          violations++
        }
        for (const f of frames) tally(counts, f.accepted)
        counts.frames += frames.length
        const wire = Buffer.concat(frames.map(f => f.wire))
        try {
          await sendAll(rng, stream, wire, signal)
          if (!violate) await stream.close({ signal })
        } catch { /* reset by the coordinator: expected after a bad frame */ }
        await settle(stream, 3000)
        // quota met: keep the pressure on beside the flow, but leave the CPU to the slower endpoints
        if (counts.frames >= FRAMES_PER_ENDPOINT) await new Promise(resolve => setTimeout(resolve, 250))
      }
    } catch { /* refused or hung up after its strikes: next identity */ } finally {
      await node.stop()
    }
    // libp2p takes only a few new connections a second from one host: leave room for the honest workers
    await new Promise(resolve => setTimeout(resolve, Math.max(0, IDENTITY_MIN_MS - (Date.now() - born))))
  }
}

/** Code protocol: one frame per stream (it reads one request), mutated from a real request; 16 at a time per connection. */
async function codeAttack (rng: Rng, target: PeerId, addr: string, hash: string, counts: Counts, until: () => boolean): Promise<void> {
  const guard = (v: unknown): boolean => v != null && typeof v === 'object' && typeof (v as { hash?: unknown }).hash === 'string' && /^[0-9a-f]{64}$/.test((v as { hash: string }).hash)
  const seeds = [{ hash }, { hash: hex(rng) }]
  const node = await bareNode()
  counts.identities++
  try {
    await dialRetrying(node, addr)
    let failed = 0
    while (!until()) {
      if (failed > 0) {
        // the connection went (a reset storm can end it): wait, then connect again
        counts.drops = (counts.drops ?? 0) + 1
        failed = 0
        await new Promise(resolve => setTimeout(resolve, 5))
        await node.hangUp(target).catch(() => {})
        await dialRetrying(node, addr)
      }
      await Promise.all(Array.from({ length: 16 }, async () => {
        const signal = AbortSignal.timeout(5000)
        let stream: Stream
        try {
          stream = await node.dialProtocol(target, CODE_PROTOCOL, { signal, negotiateFully: false })
        } catch (err) {
          if (failed++ === 0 && process.env.FUZZ_DEBUG != null) console.log(`code dial failed: ${(err as Error).name} ${(err as Error).message}`)
          return
        }
        stream.addEventListener('message', () => {})
        counts.streams++
        const f = rng.chance(0.1) ? { wire: encodeFrame(encodeValue(rng.pick(seeds))), accepted: true } : fuzzFrame(rng, seeds, guard)
        tally(counts, f.accepted)
        counts.frames++
        // sometimes more bytes after the request, sometimes a half-written frame left hanging then aborted
        const extra = rng.chance(0.1) ? rng.bytes(rng.int(100)) : new Uint8Array(0)
        try {
          await sendAll(rng, stream, Buffer.concat([f.wire, extra]), signal)
          if (rng.chance(0.05)) stream.abort(new Error('fuzz: gone mid-request'))
          else await stream.close({ signal })
        } catch { /* reset by the server */ }
        await settle(stream, 3000)
      }))
    }
  } finally {
    await node.stop()
  }
}

/** Gossipsub: random and mutated announcements and side messages, under the per-peer rate limit, plus one flood from another peer. */
async function gossipAttack (rng: Rng, addr: string, counts: Counts, until: () => boolean): Promise<void> {
  const seeds = [
    { t: 'worker', name: 'w', threads: 2, platform: 'node', labels: [], jobsDone: 5 },
    { t: 'flow', flow: 'collatz', run: 'r', modules: ['ab'], jobsDone: 1, jobsQueued: 2, workers: 1 },
    { t: 'side', run: 'r', name: 's', version: 1, value: encodeValue(1) }
  ]
  const payload = (): Uint8Array => {
    const r = rng.int(3)
    if (r === 0) return rng.bytes(rng.int(300))
    if (r === 1) return mutateBytes(rng, encodeValue(rng.pick(seeds)))
    try { return encodeValue(weirdValue(rng)) } catch { return rng.bytes(8) }
  }
  const node = await startNode({ listen: [] })
  const flooder = await startNode({ listen: [] })
  counts.identities += 2
  try {
    for (const n of [node, flooder]) {
      n.services.pubsub.subscribe(ANNOUNCE_TOPIC)
      await dialRetrying(n, addr)
    }
    const coordinator = multiaddr(addr).getComponents().findLast(c => c.name === 'p2p')!.value!
    await waitFor(() => node.services.pubsub.getSubscribers(ANNOUNCE_TOPIC).some(p => p.toString() === coordinator), 15_000, 'the coordinator to be subscribed')
    // the flooder: 40 messages at once, over the limit (a strike each second it repeats)
    for (let i = 0; i < 40; i++) {
      await flooder.services.pubsub.publish(ANNOUNCE_TOPIC, payload()).catch(() => {})
      counts.frames++
    }
    while (!until()) {
      await node.services.pubsub.publish(rng.chance(0.7) ? ANNOUNCE_TOPIC : SIDE_TOPIC, payload()).catch(() => {})
      counts.frames++
      await new Promise(resolve => setTimeout(resolve, 115)) // < 10 a second: the honest-looking rate
    }
  } finally {
    await node.stop()
    await flooder.stop()
  }
}

function watch (proc: Proc): { readonly exitedEarly: boolean } {
  const state = { exitedEarly: false }
  void proc.exited.then(() => { state.exitedEarly = true })
  return state
}


describe('fuzz', { timeout: 300_000 }, () => {
  it('a coordinator survives 10,000+ hostile frames per endpoint while a flow runs beside; output exact, memory bounded, still accepts workers', async () => {
    const rng = new Rng(seed)
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-fuzz-'))
    const identity = join(dir, 'coordinator.key')
    const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
    const port = await freePort()
    const addr = `/ip4/127.0.0.1/tcp/${port}/p2p/${peerId.toString()}`
    const run = await copyCollatz(BESIDE_END)
    const flowPath = join(run, 'flow.json')
    const hash = await sha256Hex(await readFile(join(run, 'build', 'collatz.wasm')))
    const coordinator = new Proc('grid-coordinator', [flowPath, '--workers', '0', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--identity', identity, '--report', join(run, 'report.json')])
    const coordinatorState = watch(coordinator)
    const workers: Proc[] = []
    const honest = (name: string): Proc => {
      const p = new Proc('grid-worker', ['--bootstrap', addr, '--threads', '1', '--name', name, '--cache', join(dir, `cache-${name}`), '--quiet'])
      workers.push(p)
      return p
    }
    try {
      await coordinator.waitFor(/running flow/)
      const baseline = await rssOf(coordinator.pid!)

      const job: Counts = { frames: 0, accepted: 0, rejected: 0, streams: 0, identities: 0 }
      const code: Counts = { frames: 0, accepted: 0, rejected: 0, streams: 0, identities: 0 }
      const gossip: Counts = { frames: 0, accepted: 0, rejected: 0, streams: 0, identities: 0 }
      const started = Date.now()
      let lagAt = Date.now()
      let maxLag = 0
      // a stalled test process (a busy loop in the attackers) would show up here, not as a slow coordinator
      const lagTimer = setInterval(() => {
        const now = Date.now()
        maxLag = Math.max(maxLag, now - lagAt - 100)
        lagAt = now
      }, 100)
      const over = (c: Counts) => () => c.frames >= FRAMES_PER_ENDPOINT || Date.now() - started > ATTACK_MS || coordinatorState.exitedEarly
      // every attacker keeps going until all endpoints had their share, so all of them run beside the flow
      const allDone = (): boolean => over(job)() && over(code)()
      // the flow starts while the attack is under way (once the code attack, the slowest, is well along) and runs beside it
      const besideFlow = (async () => {
        await waitFor(() => code.frames >= HONEST_JOINS_AT_CODE_FRAMES || Date.now() - started > HONEST_JOINS_AFTER_MS, ATTACK_MS, 'the attack to get under way')
        console.log(`honest worker joins after ${Date.now() - started} ms: job ${job.frames}, code ${code.frames}, gossip ${gossip.frames} frames so far`)
        honest('honest-a')
        await coordinator.waitFor(/\+ worker\/honest-a joined/)
      })()
      await Promise.all([
        besideFlow,
        ...Array.from({ length: 2 }, async () => { await jobAttack(new Rng(rng.int(2 ** 32)), peerId, addr, job, allDone) }),
        ...Array.from({ length: 4 }, async () => { await codeAttack(new Rng(rng.int(2 ** 32)), peerId, addr, hash, code, allDone) }),
        gossipAttack(new Rng(rng.int(2 ** 32)), addr, gossip, allDone)
      ])
      const attackMs = Date.now() - started
      clearInterval(lagTimer)
      const after = await rssOf(coordinator.pid!)
      console.log(`coordinator endpoints, ${attackMs} ms: job protocol ${JSON.stringify(job)}; code protocol ${JSON.stringify(code)}; gossip ${gossip.frames} publishes; test event loop lag max ${maxLag} ms; RSS ${(baseline / 2 ** 20).toFixed(0)} -> ${(after / 2 ** 20).toFixed(0)} MB`)

      assert.equal(coordinatorState.exitedEarly, false, `the coordinator exited during the attack:\n${coordinator.output.slice(-3000)}`)
      assert.ok(job.frames >= FRAMES_PER_ENDPOINT, `job protocol: only ${job.frames} frames in ${ATTACK_MS} ms`)
      assert.ok(code.frames >= FRAMES_PER_ENDPOINT, `code protocol: only ${code.frames} frames in ${ATTACK_MS} ms`)
      assert.ok(job.rejected >= 20 && code.rejected > 1000, 'many frames took the rejection path')
      assert.ok(after < 2 * baseline + 200 * 2 ** 20, `RSS grew from ${baseline} to ${after} bytes`)
      assert.match(coordinator.output, /! closed a job stream/)
      assert.match(coordinator.output, /disconnected and refused for a while/)

      honest('honest-b')
      await coordinator.waitFor(/\+ worker\/honest-b joined/)
      const { code: exitCode } = await coordinator.exited
      assert.equal(exitCode, 0, coordinator.output.slice(-3000))
      console.log(`flow beside: ${JSON.stringify(JSON.parse(await readFile(join(run, 'report.json'), 'utf8')).jobs)}`)
      await checkCollatzUpTo(run, coordinator.output, BESIDE_END)
    } catch (err) {
      console.log(`coordinator output (last 4000 chars):\n${coordinator.output.slice(-4000)}`)
      for (const w of workers) console.log(`${w.args.join(' ')}:\n${w.output.slice(-2000)}`)
      throw err
    } finally {
      coordinator.kill('SIGKILL')
      for (const w of workers) w.kill('SIGKILL')
      await coordinator.exited
      await Promise.all(workers.map(async w => await w.exited))
    }
  })

  it('a grid-worker survives 10,000+ hostile frames from its own coordinator\'s identity, then runs a real flow', async () => {
    const rng = new Rng(seed ^ 0x5eed)
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-fuzz-worker-'))
    const identity = join(dir, 'coordinator.key')
    const key = await loadOrCreateIdentity(identity)
    const peerId = peerIdFromPrivateKey(key)
    const port = await freePort()
    const addr = `/ip4/127.0.0.1/tcp/${port}/p2p/${peerId.toString()}`
    const run = await copyExample('collatz')
    const wasm = await readFile(join(run, 'build', 'collatz.wasm'))
    const hash = await sha256Hex(wasm)
    const seeds = coordinatorSeeds(hash)

    const fake = await startNode({ privateKey: key, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
    let fakeStopped = false
    // the real module, so some hostile jobs reach the worker's executor
    await serveCode(fake, h => h === hash ? wasm : undefined)
    const counts: Counts = { frames: 0, accepted: 0, rejected: 0, streams: 0, identities: 1 }
    let hangUps = 0
    await fake.handle(JOB_PROTOCOL, (stream, connection) => {
      counts.streams++
      stream.addEventListener('message', () => {}) // the worker's hello, pulls and results: read and dropped
      const frames: FuzzFrame[] = []
      if (rng.chance(0.5)) frames.push({ wire: encodeFrame(encodeValue(seeds[0])), accepted: true, kind: 'welcome' })
      const n = 300 + rng.int(500)
      while (frames.length < n) frames.push(acceptedFrame(rng, seeds, isCoordinatorMessage, r => validCoordinatorMessage(r, hash)))
      const ending = rng.int(10)
      if (ending < 7) frames.push(rejectedFrame(rng, seeds, isCoordinatorMessage))
      for (const f of frames) tally(counts, f.accepted)
      counts.frames += frames.length
      const signal = AbortSignal.timeout(5000)
      void (async () => {
        try {
          await sendAll(rng, stream, Buffer.concat(frames.map(f => f.wire)), signal)
          if (ending === 7) {
            hangUps++
            await connection.close({ signal }) // the worker's re-dial loop must bring it back
          } else {
            await stream.close({ signal })
          }
        } catch { /* the worker reset the stream */ }
        await settle(stream, 3000)
      })()
    }, { maxInboundStreams: 4 })

    const worker = new Proc('grid-worker', ['--bootstrap', addr, '--threads', '1', '--name', 'target', '--cache', join(dir, 'cache')])
    const workerState = watch(worker)
    let coordinator: Proc | undefined
    try {
      const started = Date.now()
      await waitFor(() => counts.frames >= FRAMES_PER_ENDPOINT || workerState.exitedEarly, 60_000, `${FRAMES_PER_ENDPOINT} frames to the worker (sent ${counts.frames})`)
      const attackMs = Date.now() - started
      await fake.unhandle(JOB_PROTOCOL)
      await new Promise(resolve => setTimeout(resolve, 500)) // the last batch is being processed
      console.log(`worker endpoint, ${attackMs} ms: ${JSON.stringify(counts)}, ${hangUps} connection hang-ups`)
      assert.equal(workerState.exitedEarly, false, `the worker exited:\n${worker.output.slice(-3000)}`)
      assert.ok(counts.streams >= 10, 'the worker re-attached many times')
      await fake.stop()
      fakeStopped = true

      // the real coordinator, same identity and port: the worker comes back to it and runs the flow
      coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--identity', identity, '--report', join(run, 'report.json')])
      const { code } = await coordinator.exited
      assert.equal(code, 0, coordinator.output.slice(-3000))
      const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
      await checkExample('collatz', run, coordinator.output, report)
      assert.ok(report.perWorker['worker/target'] > 0, 'the fuzzed worker ran the flow')
      assert.equal(workerState.exitedEarly, false, worker.output.slice(-3000))
    } finally {
      if (!fakeStopped) await fake.stop()
      worker.kill('SIGKILL')
      coordinator?.kill('SIGKILL')
      await worker.exited
      await coordinator?.exited
    }
  })
})
