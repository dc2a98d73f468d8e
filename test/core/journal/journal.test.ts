/**
 * Journal entries survive encoding exactly, anything else is refused, a changed flow is named precisely, and
 * a resume point tells equal sink items apart by count.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeValue } from '../../../core/codec.js'
import { fingerprintChange, JOURNAL_FORMAT, JournalError } from '../../../core/journal/journal.js'
import { ResumePoint } from '../../../core/journal/resume-point.js'
import { decodeEntry, encodeEntry } from '../../../core/journal/journal-codec.js'
import { packOutputs } from '../../../core/protocol/packed-outputs.js'
import type { FlowFingerprint, JournalEntry, JournalHeader } from '../../../core/journal/journal.js'

const fingerprint: FlowFingerprint = { flow: 'f1', modules: { step: 'm1', keyed: 'm2' }, inputs: { words: 'i1' } }
const header: JournalHeader = { format: JOURNAL_FORMAT, name: 'demo', fingerprint, started: 1_790_000_000_000 }
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)
/** Decoded bytes are Node Buffers: compare contents, not classes. */
const plain = (v: unknown): unknown => v instanceof Uint8Array
  ? Uint8Array.from(v)
  : Array.isArray(v) ? v.map(plain) : v != null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v

describe('journal entries', () => {
  it('round-trip header, jobs (with and without tag, several ports) and sink writes', () => {
    const entries: JournalEntry[] = [
      { kind: 'header', header },
      { kind: 'jobs', jobs: [{ stage: 'a', input: bytes(1), outputs: [] }, { stage: 'b', input: bytes(2, 3), outputs: [{ port: 0, bytes: bytes(4) }, { port: 2, bytes: bytes(5, 6) }], tag: 'worker/1' }] },
      { kind: 'sink', record: { sink: 'out', items: [bytes(7), bytes(7)], tags: ['worker/0', undefined], position: 123 } },
      { kind: 'sink', record: { sink: 'print', items: [bytes(8)] } }
    ]
    for (const entry of entries) assert.deepEqual(plain(decodeEntry(encodeEntry(entry))), entry)
  })

  it('journal chunks\' packed outputs as they came: a sink write of blocks reads back as its items, after the plain ones', () => {
    const block = packOutputs([{ port: 0, bytes: bytes(1) }, { port: 0, bytes: bytes(2, 3) }])
    const entry: JournalEntry = { kind: 'sink', record: { sink: 'out', items: [bytes(9)], blocks: [block, packOutputs([{ port: 0, bytes: bytes(4) }])], position: 7 } }
    const encoded = encodeEntry(entry)
    assert.deepEqual(plain(decodeEntry(encoded)), { kind: 'sink', record: { sink: 'out', items: [bytes(9), bytes(1), bytes(2, 3), bytes(4)], position: 7 } })
    assert.ok(Buffer.from(encoded).includes(Buffer.from(block)), 'the block is in the entry byte for byte')
    const point = new ResumePoint(header, [encoded])
    assert.equal(point.sinkItemCount, 4)
    assert.deepEqual([bytes(2, 3), bytes(2, 3), bytes(4)].map(b => point.alreadyWritten('out', b, undefined)), [true, false, true])
    assert.throws(() => encodeEntry({ kind: 'sink', record: { sink: 'out', items: [bytes(1)], tags: ['worker/0'], blocks: [block] } }), JournalError, 'tags and blocks in one record')
  })

  it('refuses other formats and malformed entries with a JournalError', () => {
    const header = (value: unknown): Uint8Array => Uint8Array.from([0, ...encodeValue(value)])
    const jobs = encodeEntry({ kind: 'jobs', jobs: [{ stage: 'a', input: bytes(1, 2), outputs: [{ port: 0, bytes: bytes(3) }] }] })
    const sink = encodeEntry({ kind: 'sink', record: { sink: 'out', items: [bytes(1)], position: 5 } })
    const cases: Array<[string, Uint8Array]> = [
      ['empty', bytes()],
      ['unknown kind', bytes(9, 1, 2)],
      ['other format', header([JOURNAL_FORMAT + 1, 'demo', 'f', {}, {}, 0])],
      ['header with a non-string module hash', header([JOURNAL_FORMAT, 'demo', 'f', { a: 1 }, {}, 0])],
      ['header that is not msgpack', bytes(0, 0xc1)],
      ['jobs cut short', jobs.subarray(0, jobs.length - 1)],
      ['jobs with trailing bytes', Uint8Array.from([...jobs, 0])],
      ['sink cut short', sink.subarray(0, 9)],
      ['a name that is not UTF-8', bytes(2, 0, 0, 1, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)],
      ['a sink entry of an unknown layout', Uint8Array.from([2, 7, ...sink.subarray(2)])],
      ['an untagged sink item on a port other than 0', Uint8Array.from([...sink.subarray(0, sink.length - 6), 1, ...sink.subarray(sink.length - 5)])]
    ]
    for (const [what, b] of cases) assert.throws(() => decodeEntry(b), JournalError, what)
  })
})

describe('fingerprints', () => {
  it('say exactly what changed', () => {
    assert.equal(fingerprintChange(fingerprint, { ...fingerprint }), undefined)
    assert.equal(fingerprintChange(fingerprint, { ...fingerprint, flow: 'f2' }), 'the flow file changed')
    assert.equal(fingerprintChange(fingerprint, { ...fingerprint, modules: { step: 'm1', keyed: 'm3' } }), 'the module of function "keyed" changed')
    assert.equal(fingerprintChange(fingerprint, { ...fingerprint, modules: { step: 'm1' } }), 'the module of function "keyed" changed')
    assert.equal(fingerprintChange(fingerprint, { ...fingerprint, inputs: { words: 'i2' } }), 'the input file of source "words" changed')
  })
})

describe('resume point', () => {
  it('finds journaled jobs by stage and exact input bytes', () => {
    const point = new ResumePoint(header, [encodeEntry({ kind: 'jobs', jobs: [{ stage: 'a', input: bytes(1, 0x80, 0xff), outputs: [{ port: 0, bytes: bytes(9) }] }] })])
    assert.deepEqual(plain(point.lookup('a', bytes(1, 0x80, 0xff))?.outputs), [{ port: 0, bytes: bytes(9) }])
    assert.equal(point.lookup('b', bytes(1, 0x80, 0xff)), undefined)
    assert.equal(point.lookup('a', bytes(1, 0x80)), undefined)
    assert.equal(point.lookup('a', bytes(1, 0x81, 0xff)), undefined)
    assert.equal(point.jobCount, 1)
  })

  it('excuses exactly as many copies of an item as the sink wrote, per sink and tag; keeps the last position', () => {
    const point = new ResumePoint(header, ([
      { kind: 'sink', record: { sink: 'out', items: [bytes(1), bytes(1), bytes(2)], position: 10 } },
      { kind: 'sink', record: { sink: 'out', items: [bytes(1)], tags: ['worker/0'], position: 30 } }
    ] as JournalEntry[]).map(encodeEntry))
    assert.equal(point.sinkItemCount, 4)
    assert.equal(point.sinkPosition('out'), 30)
    assert.equal(point.sinkPosition('other'), undefined)
    const seen = [bytes(1), bytes(1), bytes(1), bytes(2), bytes(2)].map(b => point.alreadyWritten('out', b, undefined))
    assert.deepEqual(seen, [true, true, false, true, false])
    assert.equal(point.alreadyWritten('other', bytes(1), 'worker/0'), false)
    assert.equal(point.alreadyWritten('out', bytes(1), 'worker/1'), false)
    assert.equal(point.alreadyWritten('out', bytes(1), 'worker/0'), true)
    assert.equal(point.alreadyWritten('out', bytes(1), 'worker/0'), false)
    assert.equal(point.skipped, 4)
  })
})
