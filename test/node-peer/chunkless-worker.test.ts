/**
 * A worker whose hello does not offer the `chunks` feature (a grid-worker older than chunks) gets no work of a
 * chunked stage. Against a real coordinator process (127.0.0.1 only): such a worker, driven by hand over the
 * real job protocol, asks for work and gets none; the coordinator says why in one line for that worker and
 * run, the report counts it, and a current grid-worker completes the flow.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import { FrameChannel } from '../../core/protocol/frame-channel.js'
import { FEATURE_SIDE_INPUTS, isCoordinatorMessage, JOB_PROTOCOL, JOB_PROTOCOL_VERSION, MAX_JOB_FRAME_BYTES } from '../../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerMessage } from '../../core/protocol/job-messages.js'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import { Proc } from '../helpers/processes.js'
import { freePort, startNode, waitFor } from './net/nodes.js'

it('a worker without the chunks feature gets no chunked work: the coordinator says so once, the report counts it, a current worker completes the flow', async () => {
  const run = await copyExample('primes') // its range is read by a map stage only: handed out in chunks
  const tcp = await freePort()
  const identity = join(run, 'coordinator.key')
  const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
  const address = `/ip4/127.0.0.1/tcp/${tcp}/p2p/${peerId.toString()}`
  const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', `/ip4/127.0.0.1/tcp/${tcp}`,
    '--identity', identity, '--report', join(run, 'report.json')])
  const node = await startNode()
  let worker: Proc | undefined
  try {
    await waitFor(async () => await node.dial(multiaddr(address)).then(() => true, () => false), 30_000, 'a connection to the coordinator')
    const stream = await node.dialProtocol(peerId, JOB_PROTOCOL)
    const channel = new FrameChannel<CoordinatorMessage, WorkerMessage>(stream, { guard: isCoordinatorMessage, maxFrameBytes: MAX_JOB_FRAME_BYTES })
    const received: CoordinatorMessage[] = []
    channel.onMessage(m => { received.push(m) })
    // an older worker's hello: side inputs, no chunks
    channel.send({ t: 'hello', v: JOB_PROTOCOL_VERSION, worker: { name: 'old', threads: 1, platform: 'test', labels: [] }, features: [FEATURE_SIDE_INPUTS] })
    await waitFor(() => received.some(m => m.t === 'welcome'), 10_000, 'the old worker to be welcomed')
    channel.send({ t: 'pull', credits: 8 })
    await coordinator.waitFor(/! worker\/old does not run chunks \(an older grid-worker\?\): stage "count" is chunked, so it gets none of that work; upgrade the worker/)

    worker = new Proc('grid-worker', ['--bootstrap', address, '--threads', '1', '--name', 'current', '--cache', join(run, 'cache'), '--quiet'])
    const { code } = await coordinator.exited
    assert.equal(code, 0, coordinator.output.slice(-3000))
    const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
    await checkExample('primes', run, coordinator.output, report)
    assert.equal(received.some(m => m.t === 'jobs'), false, 'the old worker was given no job')
    assert.deepEqual(Object.keys(report.perWorker), ['worker/current'])
    assert.equal(report.workersWithoutChunks, 1)
    assert.equal(coordinator.output.match(/does not run chunks/g)?.length, 1, 'one line per worker and run')
  } catch (err) {
    console.error(coordinator.output.slice(-4000))
    throw err
  } finally {
    await node.stop()
    for (const p of [coordinator, worker]) p?.kill('SIGKILL')
    await Promise.all([coordinator, worker].map(async p => await p?.exited))
  }
})
