/**
 * Mutual join proof, end to end (127.0.0.1 only): ONE `grid-worker --secret S` process, bootstrapped to six
 * coordinators, works only for the one that proves S. It refuses (reason logged, no proof sent, no job taken)
 * a grid-coordinator without a secret, one with a wrong secret, and three hand-made libp2p coordinators
 * speaking the job protocol: a challenge with a garbage proof, a challenge with no proof (as an older
 * coordinator sends), and a welcome with jobs but no challenge. Then the honest coordinator starts, and the
 * worker completes its flow.
 * And on a LAN (mDNS, ONLY inside a private network namespace this test creates, as mdns-pin.test.ts): a
 * `grid-worker --mdns --secret S` without --coordinator that finds two decoys first (no secret, a wrong one)
 * refuses both and pins the first coordinator that proves S.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encodeValue } from '../../core/codec.js'
import { FrameChannel } from '../../core/protocol/frame-channel.js'
import { isWorkerMessage, JOB_PROTOCOL, JOB_PROTOCOL_VERSION, MAX_JOB_FRAME_BYTES } from '../../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerMessage } from '../../core/protocol/job-messages.js'
import { newJoinNonce } from '../../core/protocol/join-proof.js'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import type { GridNode } from '../../node-peer/net/node.js'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import { runInNetns } from '../helpers/netns.js'
import { Proc } from '../helpers/processes.js'
import { binDir } from '../helpers/cli.js'
import { addrOf, freePort, startNode, waitFor } from './net/nodes.js'

const SECRET = 'only the honest coordinator knows this'

type FakeKind = 'garbage proof' | 'no proof' | 'jobs without challenge'

/** A hand-made coordinator: answers each hello as `kind` says and records everything the worker sends. */
async function fakeCoordinator (kind: FakeKind): Promise<{ node: GridNode, received: WorkerMessage[] }> {
  const node = await startNode()
  const received: WorkerMessage[] = []
  await node.handle(JOB_PROTOCOL, stream => {
    const channel = new FrameChannel<WorkerMessage, CoordinatorMessage>(stream, { guard: isWorkerMessage, maxFrameBytes: MAX_JOB_FRAME_BYTES })
    channel.onMessage(message => {
      received.push(message)
      if (message.t !== 'hello') return
      if (kind === 'garbage proof') channel.send({ t: 'challenge', nonce: newJoinNonce(), proof: newJoinNonce() })
      else if (kind === 'no proof') channel.send({ t: 'challenge', nonce: newJoinNonce() })
      else {
        channel.send({ t: 'welcome', v: JOB_PROTOCOL_VERSION, flow: 'decoy', run: 'decoy-run' })
        channel.send({ t: 'jobs', jobs: [[1, 'a'.repeat(64), 'run', encodeValue(1), 1000]] })
      }
    })
  })
  return { node, received }
}

it('a worker with a secret works only for the coordinator that proves it: coordinators without it, with a wrong one, and fakes are refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-mutual-'))
  delete process.env.EDGE_GRID_SECRET // the children inherit our environment
  const procs: Proc[] = []
  const nodes: GridNode[] = []
  /** A grid-coordinator on a known port and identity (it may start after the worker). */
  const coordinator = async (name: string, example: string, extra: string[]): Promise<{ id: string, addr: string, run: string, start: () => Proc }> => {
    const identity = join(dir, `${name}.key`)
    const id = peerIdFromPrivateKey(await loadOrCreateIdentity(identity)).toString()
    const port = await freePort()
    const run = await copyExample(example)
    const start = (): Proc => {
      const p = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--identity', identity,
        '--wait-workers', '1', '--report', join(run, 'report.json'), ...extra])
      procs.push(p)
      return p
    }
    return { id, addr: `/ip4/127.0.0.1/tcp/${port}/p2p/${id}`, run, start }
  }
  try {
    const noSecret = await coordinator('no-secret', 'collatz', [])
    const wrongSecret = await coordinator('wrong-secret', 'wordcount', ['--secret', 'a guess'])
    const honest = await coordinator('honest', 'primes', ['--secret', SECRET])
    const noSecretProc = noSecret.start()
    const wrongProc = wrongSecret.start()
    const fakes = await Promise.all((['garbage proof', 'no proof', 'jobs without challenge'] as const).map(async kind => ({ kind, ...await fakeCoordinator(kind) })))
    nodes.push(...fakes.map(f => f.node))
    await Promise.all([noSecretProc.waitFor(/edge-grid coordinator/), wrongProc.waitFor(/a join secret is required/)])

    const bootstrap = [noSecret.addr, wrongSecret.addr, ...fakes.map(f => addrOf(f.node)), honest.addr].flatMap(a => ['--bootstrap', a])
    const worker = new Proc('grid-worker', [...bootstrap, '--secret', SECRET, '--threads', '1', '--name', 'mutual', '--cache', join(dir, 'cache')])
    procs.push(worker)
    // every dishonest coordinator is refused with the reason, before the honest one even runs
    const refusedIds = [noSecret.id, wrongSecret.id, ...fakes.map(f => f.node.peerId.toString())]
    await waitFor(() => refusedIds.every(id => worker.output.includes(`coordinator ${id} does not know the join secret`)), 60_000, 'the worker to refuse all five coordinators')
    const reasonOf = (id: string): string => worker.output.match(new RegExp(`coordinator ${id} does not know the join secret \\(([^\\n]*)`))?.[1] ?? ''
    assert.match(reasonOf(noSecret.id), /it sent `welcome` without a challenge/)
    assert.match(reasonOf(wrongSecret.id), /the proof in its challenge is wrong/)
    assert.match(reasonOf(fakes[0].node.peerId.toString()), /the proof in its challenge is wrong/)
    assert.match(reasonOf(fakes[1].node.peerId.toString()), /its challenge carries no proof/)
    assert.match(reasonOf(fakes[2].node.peerId.toString()), /it sent `welcome` without a challenge/)

    const honestProc = honest.start()
    const { code } = await honestProc.exited
    assert.equal(code, 0, honestProc.output.slice(-3000))
    const report = JSON.parse(await readFile(join(honest.run, 'report.json'), 'utf8'))
    await checkExample('primes', honest.run, honestProc.output, report)
    assert.deepEqual(Object.keys(report.perWorker), ['worker/mutual'])
    assert.match(worker.output, new RegExp(`coordinator …${honest.id.slice(-8)} proved it knows the join secret`))
    assert.deepEqual([...worker.output.matchAll(/joined flow "([^"]+)"/g)].map(m => m[1]), ['primes'], 'welcomed only by the honest coordinator')
    assert.doesNotMatch(worker.output, new RegExp(SECRET), 'the secret is never printed')

    // the fakes saw a hello with a nonce, then a bye: never a proof, a pull or a result
    for (const fake of fakes) {
      const hello = fake.received.find(m => m.t === 'hello')
      assert.ok(hello?.t === 'hello' && hello.nonce?.length === 32, `${fake.kind}: a hello with a 32-byte nonce`)
      assert.deepEqual([...new Set(fake.received.map(m => m.t))].sort(), ['bye', 'hello'], `${fake.kind}: ${JSON.stringify(fake.received.map(m => m.t))}`)
    }
    // the coordinator with another secret never got a proof to check; it logs that the worker left unproven
    assert.match(wrongProc.output, /! refused peer …\S+: left before proving the join secret/)
    assert.doesNotMatch(wrongProc.output, /wrong join proof|\+ worker\/mutual joined/)
    // the coordinator without a secret admitted the worker, which left at once without asking for work
    assert.match(noSecretProc.output, /- worker\/mutual left/)
  } finally {
    await Promise.all(nodes.map(async n => await n.stop()))
    for (const p of procs) p.kill('SIGKILL')
    await Promise.all(procs.map(async p => await p.exited))
  }
})

it('mDNS without --coordinator: decoys found first do not capture the pin; the first coordinator that proves the secret does', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-mdns-secret-'))
  delete process.env.EDGE_GRID_SECRET
  const ids: Record<string, string> = {}
  for (const name of ['decoy', 'wrong', 'honest']) ids[name] = peerIdFromPrivateKey(await loadOrCreateIdentity(join(dir, `${name}.key`))).toString()
  const decoyRun = await copyExample('collatz')
  const wrongRun = await copyExample('wordcount')
  const run = await copyExample('primes')
  const node = process.execPath
  const coordinator = (name: string, flowDir: string, extra: string): string =>
    `"${node}" "${binDir}grid-coordinator.js" "${join(flowDir, 'flow.json')}" --workers 0 --mdns --listen /ip4/127.0.0.1/tcp/0 --identity "${join(dir, `${name}.key`)}" --wait-workers 1 ${extra}`
  const workerLog = join(dir, 'worker.log')
  const lines = [
    `${coordinator('decoy', decoyRun, '')} > "${join(dir, 'decoy.log')}" 2>&1 & D=$!`,
    `${coordinator('wrong', wrongRun, '--secret "a guess"')} > "${join(dir, 'wrong.log')}" 2>&1 & X=$!`,
    'sleep 2',
    `"${node}" "${binDir}grid-worker.js" --mdns --secret "${SECRET}" --listen /ip4/127.0.0.1/tcp/0 --threads 1 --name lan --cache "${join(dir, 'cache')}" --quiet > "${workerLog}" 2>&1 & W=$!`,
    // the honest coordinator starts only once the worker has refused both decoys (bounded: 60 s)
    `for i in $(seq 1 300); do [ "$(grep -c -e '${ids.decoy} does not know the join secret' -e '${ids.wrong} does not know the join secret' "${workerLog}")" -ge 2 ] && break; sleep 0.2; done`,
    'set +e',
    `${coordinator('honest', run, `--secret "${SECRET}" --report "${join(run, 'report.json')}"`)}; C=$?`,
    'kill -INT $W; wait $W; kill -KILL $D $X; exit $C'
  ]
  const { code, output } = await runInNetns(lines, 120_000)
  const worker = await readFile(workerLog, 'utf8')
  assert.equal(code, 0, `${output.slice(-2000)}\nworker:\n${worker.slice(-2000)}`)
  assert.match(worker, new RegExp(`coordinator ${ids.decoy} does not know the join secret \\(it sent \`welcome\` without a challenge`))
  assert.match(worker, new RegExp(`coordinator ${ids.wrong} does not know the join secret \\(the proof in its challenge is wrong`))
  assert.match(worker, new RegExp(`coordinator …${ids.honest.slice(-8)} proved it knows the join secret`))
  assert.deepEqual([...worker.matchAll(/joined flow "([^"]+)"/g)].map(m => m[1]), ['primes'], 'welcomed only by the honest coordinator')
  assert.match(output, /\+ worker\/lan joined/)
  const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
  await checkExample('primes', run, output, report)
  assert.deepEqual(Object.keys(report.perWorker), ['worker/lan'])
  const wrong = await readFile(join(dir, 'wrong.log'), 'utf8')
  assert.match(wrong, /! refused peer …\S+: left before proving the join secret/)
  assert.doesNotMatch(wrong, /\+ worker\/lan joined/)
  const decoy = await readFile(join(dir, 'decoy.log'), 'utf8')
  assert.match(decoy, /- worker\/lan left/, 'the decoy without a secret admitted the worker, which left at once')
})
