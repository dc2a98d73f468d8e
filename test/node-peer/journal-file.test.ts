/**
 * The journal file: what was appended reads back; a torn last frame (the process died mid-write) or a frame
 * failing its checksum ends the journal there and is cut off when it is reopened; a file that is not a
 * journal is refused.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { appendFile, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JOURNAL_FORMAT, JournalError } from '../../core/journal/journal.js'
import type { JournalHeader } from '../../core/journal/journal.js'
import { decodeEntry } from '../../core/journal/journal-codec.js'
import { JournalFile } from '../../node-peer/journal-file.js'
import { ResumePoint } from '../../core/journal/resume-point.js'
import { crc32 } from 'node:zlib'
import { fuzzSeed, mutateBytes, Rng } from '../helpers/fuzz.js'

const header: JournalHeader = { format: JOURNAL_FORMAT, name: 'demo', fingerprint: { flow: 'f', modules: { fn: 'm' }, inputs: {} }, started: 1 }
const job = (n: number): { stage: string, input: Uint8Array, outputs: Array<{ port: number, bytes: Uint8Array }> } =>
  ({ stage: 'double', input: Uint8Array.of(n), outputs: [{ port: 0, bytes: Uint8Array.of(2 * n) }] })

async function scratch (): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'edge-grid-journal-')), 'sub', 'run.journal')
}

describe('journal file', () => {
  it('reads back what was appended (jobs, chunks, sink writes); a missing file is no journal; a journal with no entry leaves no file', async () => {
    const path = await scratch()
    assert.equal(await JournalFile.read(path), undefined)
    const idle = await JournalFile.create(path, header)
    idle.close()
    assert.equal(await JournalFile.read(path), undefined, 'a run that finished no job has nothing to resume')
    const journal = await JournalFile.create(path, header)
    journal.jobsDone([job(1), job(2)])
    journal.jobsDone([])
    journal.chunksDone([{ stage: 'double', start: 0, count: 2, step: 1, outputs: [{ port: 0, bytes: Uint8Array.of(0) }, { port: 0, bytes: Uint8Array.of(2) }] }])
    journal.chunksDone([])
    journal.sinkWritten({ sink: 'out', items: [Uint8Array.of(2)], position: 2 })
    journal.close()
    const contents = (await JournalFile.read(path))!
    assert.deepEqual(contents.header, header)
    assert.deepEqual(contents.payloads.map(p => decodeEntry(p).kind), ['jobs', 'chunks', 'sink'])
    assert.equal(contents.jobs, 3, 'a chunk counts as one job')
    assert.equal(contents.tornBytes, 0)
    assert.equal(contents.validLength, (await stat(path)).size)
  })

  it('a torn last frame is dropped, cut off on reopening, and appending goes on after the last good frame', async () => {
    const path = await scratch()
    const journal = await JournalFile.create(path, header)
    journal.jobsDone([job(1)])
    journal.close()
    const good = (await stat(path)).size
    // the start of a frame claiming 100 bytes, of which only 3 arrived
    await appendFile(path, Uint8Array.of(0, 0, 0, 100, 1, 2, 3, 4, 9, 9, 9))
    const torn = (await JournalFile.read(path))!
    assert.equal(torn.validLength, good)
    assert.equal(torn.tornBytes, 11)
    assert.equal(torn.payloads.length, 1)
    const reopened = JournalFile.reopen(path, torn)
    reopened.jobsDone([job(2)])
    reopened.close()
    const after = (await JournalFile.read(path))!
    assert.equal(after.tornBytes, 0)
    assert.deepEqual(after.payloads.map(decodeEntry).flatMap(e => e.kind === 'jobs' ? e.jobs.map(j => j.input[0]) : []), [1, 2])
  })

  it('a frame failing its checksum ends the journal there', async () => {
    const path = await scratch()
    const journal = await JournalFile.create(path, header)
    journal.jobsDone([job(1)])
    const before = (await stat(path)).size
    journal.jobsDone([job(2)])
    journal.close()
    const bytes = await readFile(path)
    bytes[bytes.length - 1] ^= 0xff
    await writeFile(path, bytes)
    const contents = (await JournalFile.read(path))!
    assert.equal(contents.validLength, before)
    assert.equal(contents.payloads.length, 1)
  })

  it('a file that is not a journal is refused with a JournalError saying what to do', async () => {
    const path = await scratch()
    await JournalFile.create(path, header).then(j => j.close())
    await writeFile(path, 'hello, I am a text file\n')
    await assert.rejects(JournalFile.read(path), (err: Error) => err instanceof JournalError && /not an edge-grid journal.*--fresh/.test(err.message))
  })
})

describe('journal file under corruption', () => {
  it('a damaged journal (random byte edits, cuts, frames whose checksum was forged) is refused with a JournalError or resumes from its good part, never anything else', async () => {
    const rng = new Rng(fuzzSeed())
    const path = await scratch()
    const journal = await JournalFile.create(path, header)
    for (let i = 0; i < 40; i++) {
      journal.jobsDone(Array.from({ length: 1 + (i % 5) }, (_, k) => job(i * 5 + k)))
      journal.sinkWritten({ sink: 'out', items: [Uint8Array.of(i), Uint8Array.of(i, i)], tags: [undefined, `w/${i % 3}`], position: i * 10 })
    }
    journal.close()
    const pristine = new Uint8Array(await readFile(path))
    const outcomes = { refused: 0, resumed: 0 }
    for (let round = 0; round < 300; round++) {
      let bytes = mutateBytes(rng, pristine)
      if (rng.chance(0.3)) bytes = bytes.subarray(0, rng.int(bytes.length))
      // forge the checksums of damaged frames: the decoder itself must then refuse what it cannot read (a CRC
      // catches torn writes, not forgery: forged frames may decode to other values, so only the kind of failure counts)
      const forged = rng.chance(0.3)
      if (forged) bytes = forgeChecksums(bytes)
      await writeFile(path, bytes)
      try {
        const contents = await JournalFile.read(path)
        if (contents == null) continue
        const point = new ResumePoint(contents.header, contents.payloads)
        // without forgery, whatever survived resolves to what was written
        for (let n = 0; n < 200 && !forged; n++) {
          const found = point.lookup('double', Uint8Array.of(n))
          if (found != null) assert.deepEqual([...found.outputs[0].bytes], [2 * n & 0xff], `job ${n}`)
        }
        outcomes.resumed++
      } catch (err) {
        assert.ok(err instanceof JournalError, `round ${round} (seed ${rng.seed}): ${String(err)}`)
        outcomes.refused++
      }
    }
    assert.ok(outcomes.resumed > 0 && outcomes.refused > 0, JSON.stringify(outcomes))
  })
})

/** Rewrites every frame's crc32 to match its (possibly damaged) payload, as far as the lengths allow. */
function forgeChecksums (input: Uint8Array): Uint8Array {
  const bytes = Uint8Array.from(input)
  const view = new DataView(bytes.buffer)
  for (let at = 0; at + 8 <= bytes.length;) {
    const end = at + 8 + view.getUint32(at)
    if (end > bytes.length) break
    view.setUint32(at + 4, crc32(bytes.subarray(at + 8, end)))
    at = end
  }
  return bytes
}
