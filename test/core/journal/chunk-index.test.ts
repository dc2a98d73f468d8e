/**
 * Chunk records in the journal (core/journal/chunk-index.ts): their own entry kind survives encoding, a
 * malformed one is refused, and a resume point finds them by the items they cover, never by an item's input.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeValue } from '../../../core/codec.js'
import { JOURNAL_FORMAT, JournalError } from '../../../core/journal/journal.js'
import type { ChunkRecord, JournalEntry, JournalHeader } from '../../../core/journal/journal.js'
import { decodeEntry, encodeEntry } from '../../../core/journal/journal-codec.js'
import { packOutputs, unpackOutputs } from '../../../core/protocol/packed-outputs.js'
import { ResumePoint } from '../../../core/journal/resume-point.js'

const header: JournalHeader = { format: JOURNAL_FORMAT, name: 'demo', fingerprint: { flow: 'f', modules: {}, inputs: {} }, started: 0 }
const out = (...values: number[]): ChunkRecord['outputs'] => values.map(v => ({ port: 0, bytes: encodeValue(v) }))
const chunk = (stage: string, start: number, count: number, step = 1, tag?: string): ChunkRecord =>
  ({ stage, start, count, step, outputs: out(...Array.from({ length: count }, (_, i) => 2 * (start + i * step))), ...(tag != null ? { tag } : {}) })
/** Decoded bytes are Node Buffers: compare contents, not classes. */
const plain = (v: unknown): unknown => v instanceof Uint8Array
  ? Uint8Array.from(v)
  : Array.isArray(v) ? v.map(plain) : v != null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v
const spans = (records: readonly ChunkRecord[]): Array<[number, number]> => records.map(r => [r.start, r.count])

describe('chunk records', () => {
  it('round-trip with and without a tag, more outputs than a u16 counts, several ports', () => {
    const big: ChunkRecord = { stage: 'double', start: 0, count: 70_000, step: 1, outputs: Array.from({ length: 70_000 }, (_, i) => ({ port: i % 3, bytes: Uint8Array.of(i & 0xff) })) }
    const entry: JournalEntry = { kind: 'chunks', chunks: [chunk('double', 8, 8), chunk('pinned', -4, 2, 3, 'worker/1'), big] }
    const decoded = decodeEntry(encodeEntry(entry))
    assert.equal(decoded.kind, 'chunks')
    assert.deepEqual(plain(decoded.chunks.map(({ packed, ...record }) => record)), plain(entry.chunks))
    for (const [i, c] of decoded.chunks.entries()) assert.deepEqual(plain(c.packed), plain(packOutputs(entry.chunks[i].outputs)), 'a decoded record has its outputs packed too')
  })

  it('journal a chunk whose outputs came packed as the bytes it came in, and never unpack them to do so', () => {
    const packed = packOutputs(out(0, 2, 4))
    let unpacked = 0
    const record: ChunkRecord = { stage: 'double', start: 0, count: 3, step: 1, packed, get outputs () { unpacked++; return unpackOutputs(packed) } }
    const encoded = encodeEntry({ kind: 'chunks', chunks: [record] })
    assert.equal(unpacked, 0)
    assert.ok(Buffer.from(encoded).includes(Buffer.from(packed)))
    const decoded = decodeEntry(encoded)
    assert.ok(decoded.kind === 'chunks')
    assert.deepEqual(plain(decoded.chunks[0].outputs), plain(out(0, 2, 4)))
  })

  it('refuses a record whose range is not a chunk\'s (non-integer start or step, no items, step 0)', () => {
    for (const bad of [chunk('s', 0.5, 1), { ...chunk('s', 0, 1), step: 0 }, { ...chunk('s', 0, 1), count: 0 }, { ...chunk('s', 0, 1), step: 1.5 }]) {
      assert.throws(() => decodeEntry(encodeEntry({ kind: 'chunks', chunks: [bad] })), JournalError, JSON.stringify([bad.start, bad.count, bad.step]))
    }
    const good = encodeEntry({ kind: 'chunks', chunks: [chunk('s', 0, 4)] })
    assert.throws(() => decodeEntry(good.subarray(0, good.length - 1)), JournalError, 'cut short')
    assert.throws(() => new ResumePoint(header, [good.subarray(0, good.length - 1)]), JournalError, 'a resume point refuses it too')
  })
})

describe('resume point: journaled chunks', () => {
  it('are found by the items they cover: wholly inside the piece, same step, aligned, in item order, per stage', () => {
    const point = new ResumePoint(header, [
      encodeEntry({ kind: 'chunks', chunks: [chunk('double', 16, 16), chunk('double', 0, 1), chunk('other', 0, 8)] }),
      encodeEntry({ kind: 'jobs', jobs: [{ stage: 'double', input: encodeValue(5), outputs: out(10) }] }),
      encodeEntry({ kind: 'chunks', chunks: [chunk('double', 1, 2), chunk('double', 60, 8), chunk('double', 100, 4, 2)] })
    ])
    assert.equal(point.chunkCount, 6)
    assert.equal(point.chunkItemCount, 1 + 2 + 16 + 8 + 8 + 4)
    assert.equal(point.jobCount, 1)
    // items 0..63 step 1: [60, 8) straddles the end and [100, 4, 2) has another step
    assert.deepEqual(spans(point.chunksWithin('double', { start: 0, count: 64, step: 1 })), [[0, 1], [1, 2], [16, 16]])
    assert.deepEqual(spans(point.chunksWithin('double', { start: 0, count: 68, step: 1 })), [[0, 1], [1, 2], [16, 16], [60, 8]])
    assert.deepEqual(spans(point.chunksWithin('double', { start: 98, count: 10, step: 2 })), [[100, 4]])
    // step 2 from 1: the chunks of step 1 are not its items
    assert.deepEqual(spans(point.chunksWithin('double', { start: 1, count: 40, step: 2 })), [])
    assert.deepEqual(spans(point.chunksWithin('other', { start: 0, count: 8, step: 1 })), [[0, 8]])
    assert.deepEqual(point.chunksWithin('nobody', { start: 0, count: 8, step: 1 }), [])
    // the outputs come back in item order
    assert.deepEqual(plain(point.chunksWithin('double', { start: 16, count: 16, step: 1 })[0].outputs), plain(out(...Array.from({ length: 16 }, (_, i) => 2 * (16 + i)))))
  })

  it('a chunk is never found as a job, nor a job as a chunk: an item [0, 1, 1] and the chunk of item 0 differ', () => {
    const itemLikeAChunk = encodeValue([0, 1, 1])
    const point = new ResumePoint(header, [
      encodeEntry({ kind: 'chunks', chunks: [chunk('s', 0, 1)] }),
      encodeEntry({ kind: 'jobs', jobs: [{ stage: 's', input: encodeValue(7), outputs: out(14) }] })
    ])
    assert.equal(point.lookup('s', itemLikeAChunk), undefined, 'the chunk [0, 1, 1] is not a job of that input')
    assert.deepEqual(spans(point.chunksWithin('s', { start: 7, count: 1, step: 1 })), [], 'the job of item 7 is not a chunk')
    assert.deepEqual(spans(point.chunksWithin('s', { start: 0, count: 1, step: 1 })), [[0, 1]])
  })

  it('overlapping records (a stage fed by two ranges) are handed out without overlap', () => {
    const point = new ResumePoint(header, [encodeEntry({ kind: 'chunks', chunks: [chunk('s', 0, 8), chunk('s', 4, 8), chunk('s', 8, 4), chunk('s', 0, 8)] })])
    assert.deepEqual(spans(point.chunksWithin('s', { start: 0, count: 16, step: 1 })), [[0, 8], [8, 4]])
  })
})
