/**
 * The coordinator's admission budget per host (node-peer/coordinator/admission.ts, core/peer/host-admission.ts)
 * against a real `grid-coordinator --join-rate 2`: a flood of raw TCP connections from one address is refused
 * before any handshake, beyond the host's budget (the refused sockets are closed at once; the admitted ones wait
 * for a handshake that never comes), and an honest worker from the same address still joins afterwards and
 * completes the flow. The growth of the budget with joined workers is proven in the unit test and by W9.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { copyExample } from '../../helpers/example-copy.js'
import { checkExample } from '../../helpers/example-checks.js'
import { Proc } from '../../helpers/processes.js'
import { freePort, waitFor } from '../net/nodes.js'

const JOIN_RATE = 2
const FLOOD = 20

it(`a flood of ${FLOOD} connections from one address is refused beyond --join-rate ${JOIN_RATE}; an honest worker still joins and the flow completes`, { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-admission-'))
  const tcp = await freePort()
  const run = await copyExample('wordcount')
  const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--workers', '0', '--listen', `/ip4/127.0.0.1/tcp/${tcp}`,
    '--identity', join(dir, 'coordinator.key'), '--join-rate', String(JOIN_RATE), '--wait-workers', '1', '--no-journal', '--report', join(run, 'report.json')])
  const sockets: Socket[] = []
  let worker: Proc | undefined
  try {
    const [, addr] = await coordinator.waitFor(/listening on (\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+)/)
    const closed = new Set<Socket>()
    const began = performance.now()
    for (let i = 0; i < FLOOD; i++) {
      const socket = connect(tcp, '127.0.0.1')
      socket.on('error', () => { /* a refused one may be reset */ })
      socket.on('close', () => { closed.add(socket) })
      sockets.push(socket)
    }
    await waitFor(() => sockets.every(s => !s.connecting || closed.has(s)), 10_000, 'every flood connection to be accepted or refused')
    const floodSeconds = (performance.now() - began) / 1000
    // refusals are immediate; an admitted socket waits for a multistream header (libp2p's upgrade timeout, 10 s)
    await new Promise(resolve => setTimeout(resolve, 1000))
    const admitted = sockets.filter(s => !closed.has(s)).length
    // the burst (one second's worth) plus what refilled while the flood was being opened
    const allowed = JOIN_RATE + Math.ceil(floodSeconds * JOIN_RATE) + 1
    assert.ok(admitted >= 1, 'the first connections are admitted')
    assert.ok(admitted <= allowed, `at most ${allowed} of ${FLOOD} admitted, got ${admitted}`)
    for (const s of sockets) s.destroy()

    worker = new Proc('grid-worker', ['--bootstrap', addr, '--threads', '1', '--name', 'honest', '--cache', join(dir, 'cache'), '--quiet'])
    const { code } = await coordinator.exited
    assert.equal(code, 0, coordinator.output.slice(-3000))
    const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
    await checkExample('wordcount', run, coordinator.output, report)
    assert.ok(report.perWorker['worker/honest'] > 0)
  } finally {
    for (const s of sockets) s.destroy()
    await worker?.stop()
    await coordinator.stop()
  }
})
