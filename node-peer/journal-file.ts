/**
 * The coordinator's journal on disk: an append-only file of frames `[u32 length][u32 crc32][entry]`, the
 * first entry a header saying which flow and inputs it belongs to (core/journal/journal.ts).
 *
 * Every entry is written with one synchronous write(2) before the coordinator goes on, so a `kill -9` loses
 * nothing that was journaled: the data is in the kernel. A frame cut short (the process died mid-write) or
 * failing its checksum ends the journal there; reopening cuts it off and appends after the last good frame.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { crc32 } from 'node:zlib'
import { JournalError } from '../core/journal/journal.js'
import { decodeEntry, encodeEntry, entryInfo } from '../core/journal/journal-codec.js'
import type { ChunkRecord, JobRecord, JournalEntry, JournalHeader, RunJournal, SinkRecord } from '../core/journal/journal.js'

const FRAME_HEAD = 8

export interface JournalContents {
  readonly header: JournalHeader
  /** The encoded entries after the header (journal-codec.ts), checksums verified. */
  readonly payloads: readonly Uint8Array[]
  /** Finished jobs recorded (a chunk is one job). */
  readonly jobs: number
  /** Bytes up to the end of the last good frame. */
  readonly validLength: number
  /** Bytes after it (a torn last write), dropped when the journal is reopened. */
  readonly tornBytes: number
}

/**
 * One coordinator per journal: `<journal>.lock` holds the pid of the coordinator using it, so a second
 * coordinator started on the same flow in the same folder is refused instead of mixing two runs' entries (and
 * their sink files). A lock left by a process that is gone (kill -9) is taken over.
 */
export class JournalLock {
  private held = true

  private constructor (readonly path: string) {}

  static acquire (journalPath: string): JournalLock {
    const path = `${journalPath}.lock`
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, `${process.pid}\n`, { flag: 'wx' })
        return new JournalLock(path)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
      if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
        throw new JournalError(`another coordinator (pid ${pid}) is running this flow with the journal ${journalPath}; stop it first (or remove ${path} if that process is not a coordinator)`)
      }
      rmSync(path, { force: true }) // left by a coordinator that is gone
    }
    throw new JournalError(`could not take the lock ${path}: another coordinator is starting on this flow`)
  }

  release (): void {
    if (!this.held) return
    this.held = false
    rmSync(this.path, { force: true })
  }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // alive, but someone else's
  }
}

export class JournalFile implements RunJournal {
  /** Where the next frame goes. */
  private position = 0
  /** A new journal's header, until the file is opened with it. */
  private header: JournalHeader | undefined
  private closed = false

  private constructor (readonly path: string, private fd: number | undefined, private readonly lock?: JournalLock) {}

  /**
   * Starts a new journal at `path`. The file (replacing any file there) is written with its first entry, not
   * before: a run that finished no job leaves nothing to resume.
   */
  static async create (path: string, header: JournalHeader, lock?: JournalLock): Promise<JournalFile> {
    await mkdir(dirname(path), { recursive: true })
    await rm(path, { force: true })
    const journal = new JournalFile(path, undefined, lock)
    journal.header = header
    return journal
  }

  /** Continues a journal after its last good frame (`contents` from `read`). */
  static reopen (path: string, contents: JournalContents, lock?: JournalLock): JournalFile {
    const fd = openSync(path, 'r+')
    ftruncateSync(fd, contents.validLength)
    const journal = new JournalFile(path, fd, lock)
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
            if (info.kind === 'jobs' || info.kind === 'chunks') jobs += info.records
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

  /** Whether anything was journaled (the file exists): only then is there something to resume. */
  get hasEntries (): boolean {
    return this.header == null
  }

  jobsDone (jobs: readonly JobRecord[]): void {
    if (jobs.length > 0) this.append({ kind: 'jobs', jobs })
  }

  chunksDone (chunks: readonly ChunkRecord[]): void {
    if (chunks.length > 0) this.append({ kind: 'chunks', chunks })
  }

  sinkWritten (record: SinkRecord): void {
    this.append({ kind: 'sink', record })
  }

  /** Stops writing (the journal stays for a later --resume) and releases the lock. */
  close (): void {
    this.stop()
    this.lock?.release()
  }

  /** The run ended by itself: nothing to resume. The journal goes before the lock, so no one sees it half gone. */
  async remove (): Promise<void> {
    this.stop()
    await rm(this.path, { force: true })
    this.lock?.release()
  }

  private stop (): void {
    if (this.fd != null) closeSync(this.fd)
    this.fd = undefined
    this.closed = true
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
