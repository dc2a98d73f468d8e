import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ClientEndpoint } from '../../../../node-peer/coordinator/submit/client-endpoint.js'
import type { GridMessage } from '../../../../core/protocol/submit-messages.js'

/** A client channel that records what the endpoint sends. */
function channel (): { sent: GridMessage[], send: (m: GridMessage) => void } {
  const sent: GridMessage[] = []
  return { sent, send: m => { sent.push(m) } }
}

function lastSinkOp (sent: GridMessage[]): Extract<GridMessage, { t: 'sink' }> {
  const op = sent.filter((m): m is Extract<GridMessage, { t: 'sink' }> => m.t === 'sink').at(-1)
  assert.ok(op != null, 'a sink operation was sent')
  return op
}

describe('ClientEndpoint: sinks across a reattach', () => {
  it('reopens an open sink at its acknowledged position on a new client, and a write continues there', async () => {
    const endpoint = new ClientEndpoint()
    const first = channel()
    endpoint.attach(first)
    const opening = endpoint.openSink('out')
    assert.ok(endpoint.receive({ t: 'ack', seq: lastSinkOp(first.sent).seq, position: 0, keepsWrites: true }))
    const writer = await opening
    const writing = writer.write([new Uint8Array([1, 2])])
    assert.ok(endpoint.receive({ t: 'ack', seq: lastSinkOp(first.sent).seq, position: 7 }))
    await writing
    assert.equal(writer.position?.(), 7)
    endpoint.detach(first)
    const second = channel()
    endpoint.attach(second)
    const reopen = lastSinkOp(second.sent)
    assert.deepEqual({ op: reopen.op, position: (reopen as { position?: number }).position }, { op: 'open', position: 7 })
  })

  it('a reopen the new client refuses fails the sink: the run\'s waiting and next writes reject with the reason', async () => {
    const endpoint = new ClientEndpoint()
    const first = channel()
    endpoint.attach(first)
    const opening = endpoint.openSink('out')
    assert.ok(endpoint.receive({ t: 'ack', seq: lastSinkOp(first.sent).seq, keepsWrites: true }))
    const writer = await opening
    const waiting = writer.write([new Uint8Array([1])]) // sent, never acknowledged: the client goes away
    endpoint.detach(first)
    const second = channel()
    endpoint.attach(second)
    const sinkOps = second.sent.filter(m => m.t === 'sink')
    assert.deepEqual(sinkOps.map(m => m.op), ['open', 'write'], 'the reopen, then the unacknowledged write again')
    assert.ok(endpoint.receive({ t: 'sink-failed', seq: sinkOps[0].seq, error: { name: 'SinkError', message: 'out.jsonl: the partial file is gone' } }))
    await assert.rejects(waiting, /sink "out" on the client: out\.jsonl: the partial file is gone/)
    await assert.rejects(writer.write([new Uint8Array([2])]), /the partial file is gone/)
  })
})
