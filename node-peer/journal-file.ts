/**
 * The coordinator's journal on disk: an append-only file of frames `[u32 length][u32 crc32][entry]`, the
 * first entry a header saying which flow and inputs it belongs to (core/run/journal.ts).
 *
 * Every entry is written with one synchronous write(2) before the coordinator goes on, so a `kill -9` loses
 * nothing that was journaled: the data is in the kernel. A frame cut short (the process died mid-write) or
 * failing its checksum ends the journal there; reopening cuts it off and appends after the last good frame.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { crc32 } from 'node:zlib'
import { JournalError } from '../core/run/journal.js'
import { decodeEntry, encodeEntry, entryInfo } from '../core/run/journal-codec.js'
import type { JobRecord, JournalEntry, JournalHeader, RunJournal, SinkRecord } from '../core/run/journal.js'

const FRAME_HEAD = 8

export interface JournalContents {
  readonly header: JournalHeader
  /** The encoded entries after the header (journal-codec.ts), checksums verified. */
  readonly payloads: readonly Uint8Array[]
  /** Finished jobs recorded. */
  readonly jobs: number
  /** Bytes up to the end of the last good frame. */
  readonly validLength: number
  /** Bytes after it (a torn last write), dropped when the journal is reopened. */
  readonly tornBytes: number
}

export class JournalFile implements RunJournal {
  /** Where the next frame goes. */
  private position = 0
  /** A new journal's header, until the file is opened with it. */
  private header: JournalHeader | undefined
  private closed = false

  private constructor (readonly path: string, private fd: number | undefined) {}

  /**
   * Starts a new journal at `path`. The file (replacing any file there) is written with its first entry, not
   * before: a run that finished no job leaves nothing to resume.
   */
  static async create (path: string, header: JournalHeader): Promise<JournalFile> {
    await mkdir(dirname(path), { recursive: true })
    await rm(path, { force: true })
    const journal = new JournalFile(path, undefined)
    journal.header = header
    return journal
  }

  /** Continues a journal after its last good frame (`contents` from `read`). */
  static reopen (path: string, contents: JournalContents): JournalFile {
    const fd = openSync(path, 'r+')
    ftruncateSync(fd, contents.validLength)
    const journal = new JournalFile(path, fd)
    journal.position = contents.validLength
    return journal
  }

  /**
   * Reads a journal frame by frame (each frame its own buffer: no size limit, and entries are kept encoded);
   * undefined when there is none. Throws JournalError when it is not a journal at all.
   */
  static async read (path: string): Promise<JournalContents | undefined> {
    let fd: number
    try {
      fd = openSync(path, 'r')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    try {
      const size = fstatSync(fd).size
      const head = new Uint8Array(FRAME_HEAD)
      const view = new DataView(head.buffer)
      const payloads: Uint8Array[] = []
      let header: JournalHeader | undefined
      let jobs = 0
      let at = 0
      while (at + FRAME_HEAD <= size) {
        readFully(fd, head, at)
        const length = view.getUint32(0)
        if (at + FRAME_HEAD + length > size) break
        const payload = new Uint8Array(length)
        readFully(fd, payload, at + FRAME_HEAD)
        if (crc32(payload) !== view.getUint32(4)) break
        try {
          if (header == null) {
            const entry = decodeEntry(payload)
            if (entry.kind !== 'header') break
            header = entry.header
          } else {
            const info = entryInfo(payload)
            if (info.kind === 'header') throw new JournalError('a second header')
            if (info.kind === 'jobs') jobs += info.records
            payloads.push(payload)
          }
        } catch (err) {
          // a frame with a right checksum that does not decode was written by something else
          throw new JournalError(`${path}: ${(err as Error).message}`)
        }
        at += FRAME_HEAD + length
      }
      if (header == null) throw new JournalError(`${path} is not an edge-grid journal (or lost its header); remove it or pass --fresh`)
      return { header, payloads, jobs, validLength: at, tornBytes: size - at }
    } finally {
      closeSync(fd)
    }
  }

  jobsDone (jobs: readonly JobRecord[]): void {
    if (jobs.length > 0) this.append({ kind: 'jobs', jobs })
  }

  sinkWritten (record: SinkRecord): void {
    this.append({ kind: 'sink', record })
  }

  close (): void {
    if (this.fd != null) closeSync(this.fd)
    this.fd = undefined
    this.closed = true
  }

  /** The run ended by itself: nothing to resume. */
  async remove (): Promise<void> {
    this.close()
    await rm(this.path, { force: true })
  }

  private append (entry: JournalEntry): void {
    if (this.closed) return // the run is over
    if (this.fd == null) {
      this.fd = openSync(this.path, 'w')
      const header = this.header!
      this.header = undefined
      this.append({ kind: 'header', header })
    }
    const payload = encodeEntry(entry)
    const frame = new Uint8Array(FRAME_HEAD + payload.length)
    const view = new DataView(frame.buffer)
    view.setUint32(0, payload.length)
    view.setUint32(4, crc32(payload))
    frame.set(payload, FRAME_HEAD)
    // one write call per frame, at an explicit offset: a short write would leave a torn frame, never a gap
    let done = 0
    while (done < frame.length) done += writeSync(this.fd, frame, done, frame.length - done, this.position + done)
    this.position += frame.length
  }
}

function readFully (fd: number, into: Uint8Array, position: number): void {
  let done = 0
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done)
    if (n === 0) throw new JournalError('journal file shrank while being read')
    done += n
  }
}
