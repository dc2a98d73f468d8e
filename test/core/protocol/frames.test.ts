import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame, encodeFrames, FrameDecoder, lengthPrefix, varintLength } from '../../../core/protocol/frames.js'
import { FrameTooLargeError, MalformedFrameError } from '../../../core/protocol/errors.js'

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function rng (seed: number): () => number {
  return () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
}

function frameOf (size: number, fill: number): Uint8Array {
  const f = new Uint8Array(size)
  for (let i = 0; i < size; i++) f[i] = (fill + i) & 0xff
  return f
}

/** Splits bytes at random points, as a stream would. */
function chop (bytes: Uint8Array, random: () => number): Uint8Array[] {
  const out: Uint8Array[] = []
  let i = 0
  while (i < bytes.byteLength) {
    const n = 1 + Math.floor(random() * 300)
    out.push(bytes.slice(i, i + n))
    i += n
  }
  return out
}

describe('frames', () => {
  it('round-trips frames of many sizes (0, 1, 127, 128, 16383, 16384, 70000) however the bytes are chopped', () => {
    const sizes = [0, 1, 127, 128, 5, 0, 16383, 16384, 70000, 3]
    const frames = sizes.map((s, i) => frameOf(s, i))
    const wire = encodeFrames(frames)
    assert.equal(wire.byteLength, sizes.reduce((n, s) => n + varintLength(s) + s, 0))
    for (let seed = 1; seed <= 20; seed++) {
      const decoder = new FrameDecoder({ maxFrameBytes: 100_000 })
      const got: Uint8Array[] = []
      for (const chunk of chop(wire, rng(seed))) for (const f of decoder.decode(chunk)) got.push(f.slice())
      assert.deepEqual(got.map(f => f.byteLength), sizes)
      got.forEach((f, i) => assert.deepEqual(f, frames[i]))
      assert.equal(decoder.idle, true)
    }
  })

  it('accepts a Uint8ArrayList-like chunk (an iterable of Uint8Arrays)', () => {
    const wire = encodeFrames([frameOf(10, 1), frameOf(300, 2)])
    const list: Iterable<Uint8Array> = [wire.subarray(0, 3), wire.subarray(3, 200), wire.subarray(200)]
    const decoder = new FrameDecoder({ maxFrameBytes: 1000 })
    assert.deepEqual([...decoder.decode(list)].map(f => f.byteLength), [10, 300])
  })

  it('encodes the varint length like multiformats unsigned-varint', () => {
    assert.deepEqual([...encodeFrame(new Uint8Array(300)).subarray(0, 2)], [0xac, 0x02])
    assert.deepEqual([...encodeFrame(new Uint8Array(0))], [0])
  })

  it('reports an incomplete frame as not idle', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1000 })
    const wire = encodeFrame(frameOf(200, 0))
    assert.deepEqual([...decoder.decode(wire.subarray(0, 1))], [])
    assert.equal(decoder.idle, false)
    assert.deepEqual([...decoder.decode(wire.subarray(1, 50))], [])
    assert.equal(decoder.idle, false)
    assert.equal([...decoder.decode(wire.subarray(50))].length, 1)
    assert.equal(decoder.idle, true)
  })

  it('throws FrameTooLargeError from the length prefix alone, before the body arrives', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1024 })
    const header = lengthPrefix(5000) // only the prefix
    assert.throws(() => [...decoder.decode(header)], (err: unknown) => {
      assert.ok(err instanceof FrameTooLargeError)
      assert.equal(err.name, 'FrameTooLargeError')
      assert.equal(err.declared, 5000)
      assert.equal(err.max, 1024)
      return true
    })
  })

  it('yields the frames before a bad one, then throws', () => {
    const good = encodeFrames([frameOf(3, 0), frameOf(4, 0)])
    const bad = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
    const decoder = new FrameDecoder({ maxFrameBytes: Number.MAX_SAFE_INTEGER })
    const seen: number[] = []
    assert.throws(() => { for (const f of decoder.decode(new Uint8Array([...good, ...bad]))) seen.push(f.byteLength) }, MalformedFrameError)
    assert.deepEqual(seen, [3, 4])
  })

  it('rejects a non-minimal length prefix as MalformedFrameError', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1000 })
    assert.throws(() => [...decoder.decode(new Uint8Array([0x85, 0x00, 1, 2, 3, 4, 5]))], MalformedFrameError)
  })
})
