import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { Stream } from '@libp2p/interface'
import { FrameChannel } from '../../../core/protocol/frame-channel.js'
import { ChannelClosedError, FrameTooLargeError, ProtocolViolationError } from '../../../core/protocol/errors.js'
import { encodeFrame } from '../../../core/protocol/frames.js'
import { encodeValue } from '../../../core/codec.js'
import type { GridNode } from '../../../node-peer/net/node.js'
import { addrOf, startNode, stopAll, waitFor } from '../net/nodes.js'
import { multiaddr } from '@multiformats/multiaddr'

const PROTOCOL = '/edge-grid/test-channel/1.0.0'

interface Num { readonly n: number, readonly pad: string }
const isNum = (v: unknown): v is Num => v != null && typeof v === 'object' && typeof (v as Num).n === 'number' && typeof (v as Num).pad === 'string'

describe('FrameChannel over real libp2p streams', () => {
  let a: GridNode
  let b: GridNode
  /** channels B accepted, in order */
  const accepted: Array<FrameChannel<Num, Num>> = []
  let maxFrameBytes = 1024 * 1024

  before(async () => {
    a = await startNode()
    b = await startNode()
    await b.handle(PROTOCOL, (stream: Stream) => {
      accepted.push(new FrameChannel<Num, Num>(stream, { guard: isNum, maxFrameBytes }))
    })
    await a.dial(multiaddr(addrOf(b)))
  })
  after(async () => { await stopAll(a, b) })

  async function open (): Promise<{ out: FrameChannel<Num, Num>, inn: FrameChannel<Num, Num> }> {
    const before = accepted.length
    const out = new FrameChannel<Num, Num>(await a.dialProtocol(b.peerId, PROTOCOL), { guard: isNum })
    await waitFor(() => accepted.length > before, 5000, 'the remote channel')
    return { out, inn: accepted[before] }
  }

  it('carries 100,000 small messages in order, batched, and closes cleanly on both sides', async () => {
    const { out, inn } = await open()
    const total = 100_000
    let next = 0
    let outOfOrder = 0
    const done = new Promise<number>(resolve => {
      inn.onMessage(m => {
        if (m.n !== next) outOfOrder++
        next++
        if (next === total) resolve(performance.now())
      })
    })
    const writes = countSends(out.stream)
    const start = performance.now()
    for (let i = 0; i < total; i++) out.send({ n: i, pad: 'abcdefghij' })
    const end = await withTimeout(done, 30_000, 'all messages')
    assert.equal(outOfOrder, 0)
    assert.equal(next, total)
    const rate = Math.round(total / ((end - start) / 1000))
    console.log(`# FrameChannel: ${total} messages in ${Math.round(end - start)} ms = ${rate} msg/s, ${writes()} stream.send() calls (${writes.full()} waited for drain)`)
    assert.ok(writes() < total / 100, `messages were batched (${writes()} sends)`)
    // ~2 MB in one burst overruns the muxer's window: the channel must have waited for 'drain' and lost nothing
    assert.ok(writes.full() > 0, 'the backpressure path (send() === false, then onDrain) was taken')

    // in both directions, then a clean close
    const back: number[] = []
    out.onMessage(m => back.push(m.n))
    for (let i = 0; i < 10; i++) inn.send({ n: i, pad: '' })
    await waitFor(() => back.length === 10, 5000, 'the replies')
    assert.deepEqual(back, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    await out.close()
    assert.equal(await out.closed, undefined)
    assert.equal(await withTimeout(inn.closed, 5000, 'the remote close'), undefined)
    assert.throws(() => out.send({ n: 1, pad: '' }), ChannelClosedError)
  })

  it('batches per tick when the producer yields between bursts of 100', async () => {
    const { out, inn } = await open()
    const total = 100_000
    let next = 0
    let outOfOrder = 0
    const done = new Promise<number>(resolve => {
      inn.onMessage(m => {
        if (m.n !== next) outOfOrder++
        if (++next === total) resolve(performance.now())
      })
    })
    const writes = countSends(out.stream)
    const start = performance.now()
    for (let i = 0; i < total; i++) {
      out.send({ n: i, pad: 'abcdefghij' })
      if (i % 100 === 99) await new Promise(resolve => setImmediate(resolve))
    }
    const end = await withTimeout(done, 30_000, 'all messages')
    assert.equal(outOfOrder, 0)
    console.log(`# FrameChannel, bursts of 100: ${Math.round(total / ((end - start) / 1000))} msg/s, ${writes()} stream.send() calls`)
    assert.ok(writes() <= total / 100, `one send per burst at most (${writes()} sends)`)
    await out.close()
  })

  it('close() flushes what was queued before closing', async () => {
    const { out, inn } = await open()
    const got: number[] = []
    inn.onMessage(m => got.push(m.n))
    for (let i = 0; i < 1000; i++) out.send({ n: i, pad: 'x'.repeat(100) })
    await out.close()
    assert.equal(await withTimeout(inn.closed, 5000, 'the remote close'), undefined)
    assert.equal(got.length, 1000)
    assert.equal(got[999], 999)
  })

  it('a frame over the limit closes that stream with FrameTooLargeError; the node stays up', async () => {
    maxFrameBytes = 1024
    const before = accepted.length
    const raw = await a.dialProtocol(b.peerId, PROTOCOL)
    await waitFor(() => accepted.length > before, 5000, 'the remote channel')
    maxFrameBytes = 1024 * 1024
    const inn = accepted[before]
    const rawClosed = new Promise<Error | undefined>(resolve => raw.addEventListener('close', evt => resolve(evt.error), { once: true }))
    raw.send(encodeFrame(encodeValue({ n: 1, pad: 'x'.repeat(5000) })))
    const reason = await withTimeout(inn.closed, 5000, 'the channel to close')
    assert.ok(reason instanceof FrameTooLargeError, String(reason))
    assert.equal(reason.declared > 1024, true)
    await withTimeout(rawClosed, 5000, 'the sender to see its stream reset')
    assert.equal(raw.status === 'reset' || raw.status === 'aborted' || raw.status === 'closed', true, raw.status)

    // same node, same connection: new channels still work
    assert.equal(b.status, 'started')
    const { out, inn: next } = await open()
    const got = new Promise<Num>(resolve => next.onMessage(resolve))
    out.send({ n: 7, pad: '' })
    assert.equal((await withTimeout(got, 5000, 'a message on a new channel')).n, 7)
    await out.close()
  })

  it('a message the guard rejects closes the channel with ProtocolViolationError', async () => {
    const { out, inn } = await open()
    const delivered: Num[] = []
    inn.onMessage(m => delivered.push(m))
    const rogue = out as unknown as FrameChannel<Num, unknown>
    rogue.send({ n: 1, pad: 'fine' })
    rogue.send({ t: 'not-a-num' })
    const reason = await withTimeout(inn.closed, 5000, 'the channel to close')
    assert.ok(reason instanceof ProtocolViolationError, String(reason))
    assert.match(reason.message, /not-a-num/)
    assert.deepEqual(delivered.map(m => m.n), [1])
    const outReason = await withTimeout(out.closed, 5000, 'the sender to see the reset')
    assert.ok(outReason instanceof Error)
  })

  it('refuses to send a message over its own frame limit', async () => {
    const { out } = await open()
    const small = new FrameChannel<Num, Num>(out.stream, { guard: isNum, maxFrameBytes: 100 })
    assert.throws(() => small.send({ n: 1, pad: 'y'.repeat(200) }), FrameTooLargeError)
    await out.close()
  })
})

/** Counts stream.send() calls (to check batching) and how many of them asked to wait for 'drain'. */
function countSends (stream: Stream): (() => number) & { full: () => number } {
  let calls = 0
  let full = 0
  const send = stream.send.bind(stream)
  stream.send = (data) => {
    calls++
    const more = send(data)
    if (!more) full++
    return more
  }
  return Object.assign(() => calls, { full: () => full })
}

async function withTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms) })])
  } finally {
    clearTimeout(timer)
  }
}
