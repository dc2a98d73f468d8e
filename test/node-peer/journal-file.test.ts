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
import { JOURNAL_FORMAT, JournalError } from '../../core/run/journal.js'
import type { JournalHeader } from '../../core/run/journal.js'
import { decodeEntry } from '../../core/run/journal-codec.js'
import { JournalFile } from '../../node-peer/journal-file.js'

const header: JournalHeader = { format: JOURNAL_FORMAT, name: 'demo', fingerprint: { flow: 'f', modules: { fn: 'm' }, inputs: {} }, started: 1 }
const job = (n: number): { stage: string, input: Uint8Array, outputs: Array<{ port: number, bytes: Uint8Array }> } =>
  ({ stage: 'double', input: Uint8Array.of(n), outputs: [{ port: 0, bytes: Uint8Array.of(2 * n) }] })

async function scratch (): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'edge-grid-journal-')), 'sub', 'run.journal')
}

describe('journal file', () => {
  it('reads back what was appended; a missing file is no journal; a journal with no entry leaves no file', async () => {
    const path = await scratch()
    assert.equal(await JournalFile.read(path), undefined)
    const idle = await JournalFile.create(path, header)
    idle.close()
    assert.equal(await JournalFile.read(path), undefined, 'a run that finished no job has nothing to resume')
    const journal = await JournalFile.create(path, header)
    journal.jobsDone([job(1), job(2)])
    journal.jobsDone([])
    journal.sinkWritten({ sink: 'out', items: [Uint8Array.of(2)], position: 2 })
    journal.close()
    const contents = (await JournalFile.read(path))!
    assert.deepEqual(contents.header, header)
    assert.deepEqual(contents.payloads.map(p => decodeEntry(p).kind), ['jobs', 'sink'])
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
