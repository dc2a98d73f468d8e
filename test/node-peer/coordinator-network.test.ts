/**
 * A hostile peer throws malformed and oversized frames at a running coordinator's job protocol: each stream
 * is closed with a logged reason, the coordinator keeps running, and a real worker then completes the flow.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encodeValue } from '../../core/codec.js'
import { encodeFrame, lengthPrefix } from '../../core/protocol/frames.js'
import { JOB_PROTOCOL } from '../../core/protocol/job-messages.js'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import { Proc } from '../helpers/processes.js'
import { freePort, startNode, waitFor } from './net/nodes.js'

it('malformed and oversized job frames close only the offending stream; the flow still completes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-fuzz-'))
  const identity = join(dir, 'coordinator.key')
  const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
  const tcp = await freePort()
  const addr = `/ip4/127.0.0.1/tcp/${tcp}/p2p/${peerId.toString()}`
  const run = await copyExample('collatz')
  const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', `/ip4/127.0.0.1/tcp/${tcp}`, '--identity', identity, '--report', join(run, 'report.json')])
  const rogues: Array<Awaited<ReturnType<typeof startNode>>> = []
  let worker: Proc | undefined
  try {
    await coordinator.waitFor(/running flow/)
    const attacks: Array<[string, Uint8Array]> = [
      ['a length prefix of 100 MB', lengthPrefix(100 * 1024 * 1024)],
      ['bytes that are not msgpack', encodeFrame(new Uint8Array([0xc1, 0xc1, 0xc1]))],
      ['msgpack that is no protocol message', encodeFrame(encodeValue({ t: 'jobs', jobs: 'all of them' }))],
      ['a hello with a wrong shape', encodeFrame(encodeValue({ t: 'hello', v: 1, worker: { name: 5 } }))],
      ['a malformed varint', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])]
    ]
    for (const [what, bytes] of attacks) {
      // one peer per attack: a peer that breaks the protocol 3 times is refused (auth.test.ts tests that)
      const rogue = await startNode()
      rogues.push(rogue)
      await waitFor(async () => await rogue.dial(multiaddr(addr)).then(() => true, () => false), 10_000, 'a rogue connection')
      const stream = await rogue.dialProtocol(peerId, JOB_PROTOCOL)
      stream.send(bytes)
      await waitFor(() => stream.status !== 'open', 10_000, `the coordinator to close the stream after ${what}`)
    }
    await waitFor(() => (coordinator.output.match(/! closed a job stream/g) ?? []).length >= attacks.length, 10_000, 'a logged reason per attack')
    assert.match(coordinator.output, /FrameTooLargeError/)
    assert.match(coordinator.output, /ProtocolViolationError/)

    worker = new Proc('grid-worker', ['--bootstrap', addr, '--threads', '2', '--name', 'honest', '--cache', join(dir, 'cache'), '--quiet'])
    const { code } = await coordinator.exited
    assert.equal(code, 0, coordinator.output.slice(-3000))
    const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
    await checkExample('collatz', run, coordinator.output, report)
    assert.ok(report.perWorker['worker/honest'] > 0)
  } finally {
    await Promise.all(rogues.map(async r => await r.stop()))
    coordinator.kill('SIGKILL')
    worker?.kill('SIGKILL')
    await coordinator.exited
    await worker?.exited
  }
})
