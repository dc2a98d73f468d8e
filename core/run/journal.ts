/**
 * The coordinator's journal, as data: what a run records while it goes (finished jobs with their outputs,
 * items each sink has safely written) and what a resumed run makes of it.
 *
 * Resuming re-reads the sources from the start and replays: functions are pure, so a job whose stage and
 * input match a journaled job gets the journaled outputs instead of running again, and the run reproduces
 * the same items at every sink. A sink skips the items the journal says it already wrote (counted per
 * item, so equal items are told apart by number), hence nothing reaches a sink twice.
 *
 * Platform-neutral. Entries as bytes: journal-codec.ts; the file (framing, checksums, torn tails): node-peer.
 */
import type { Emitted } from '../abi/abi.js'
import { GridError } from '../errors.js'

export const JOURNAL_FORMAT = 1

/** The journal cannot be used: unreadable, of another format, or written for another flow or other inputs. */
export class JournalError extends GridError {
  static override name = 'JournalError'
}

/** What a journal was written for: a resumed run must match it exactly. */
export interface FlowFingerprint {
  /** sha256 of flow.json's text. */
  readonly flow: string
  /** Function name → module sha256. */
  readonly modules: Readonly<Record<string, string>>
  /** File source name → sha256 of the file. */
  readonly inputs: Readonly<Record<string, string>>
}

export interface JournalHeader {
  readonly format: number
  /** The flow's name (for messages). */
  readonly name: string
  readonly fingerprint: FlowFingerprint
  /** When the run first started (ms since the epoch). */
  readonly started: number
}

/** A finished job of a stage whose outputs depend on nothing but its input. */
export interface JobRecord {
  readonly stage: string
  readonly input: Uint8Array
  readonly outputs: readonly Emitted[]
  /** Pinned stages: the member that ran it (its outputs carry that tag). */
  readonly tag?: string
}

/** Items a sink has safely written; `position` is its size afterwards (file sinks, to cut a torn tail). */
export interface SinkRecord {
  readonly sink: string
  readonly items: readonly Uint8Array[]
  readonly tags?: ReadonlyArray<string | undefined>
  readonly position?: number
}

export type JournalEntry =
  | { readonly kind: 'header', readonly header: JournalHeader }
  | { readonly kind: 'jobs', readonly jobs: readonly JobRecord[] }
  | { readonly kind: 'sink', readonly record: SinkRecord }

/** Where a run writes its journal entries. Calls are synchronous, so an entry is out before the next event. */
export interface RunJournal {
  jobsDone (jobs: readonly JobRecord[]): void
  sinkWritten (record: SinkRecord): void
}

/** Says precisely what changed between the journal's fingerprint and the current one; undefined if nothing. */
export function fingerprintChange (journal: FlowFingerprint, now: FlowFingerprint): string | undefined {
  if (journal.flow !== now.flow) return 'the flow file changed'
  for (const name of new Set([...Object.keys(journal.modules), ...Object.keys(now.modules)])) {
    if (journal.modules[name] !== now.modules[name]) return `the module of function "${name}" changed`
  }
  for (const name of new Set([...Object.keys(journal.inputs), ...Object.keys(now.inputs)])) {
    if (journal.inputs[name] !== now.inputs[name]) return `the input file of source "${name}" changed`
  }
  return undefined
}

/** One byte string per distinct byte sequence (latin1 maps bytes to code points one-to-one). */
const latin1 = new TextDecoder('latin1')

function jobKey (stage: string, input: Uint8Array): string {
  return `${stage}\n${latin1.decode(input)}`
}

function sinkKey (sink: string, bytes: Uint8Array, tag: string | undefined): string {
  return `${sink}\n${tag ?? ''}\n${latin1.decode(bytes)}`
}

/**
 * What a resumed run starts from: journaled job outputs by (stage, input), and per sink how many copies of
 * each item it already wrote and how far its file got.
 */
export class ResumePoint {
  private readonly jobs = new Map<string, JobRecord>()
  private readonly written = new Map<string, number>()
  private readonly positions = new Map<string, number>()
  private skippedCount = 0
  private writtenCount = 0

  constructor (readonly header: JournalHeader, entries: Iterable<JournalEntry>) {
    for (const entry of entries) {
      if (entry.kind === 'jobs') {
        for (const job of entry.jobs) this.jobs.set(jobKey(job.stage, job.input), job)
      } else if (entry.kind === 'sink') {
        const { sink, items, tags, position } = entry.record
        for (let i = 0; i < items.length; i++) {
          const key = sinkKey(sink, items[i], tags?.[i])
          this.written.set(key, (this.written.get(key) ?? 0) + 1)
        }
        this.writtenCount += items.length
        if (position != null) this.positions.set(sink, position)
      }
    }
  }

  /** Distinct finished jobs in the journal. */
  get jobCount (): number {
    return this.jobs.size
  }

  /** Items the sinks had written, all together. */
  get sinkItemCount (): number {
    return this.writtenCount
  }

  /** Items skipped so far because a sink had written them before. */
  get skipped (): number {
    return this.skippedCount
  }

  /** The journaled outputs of `stage` for this input, if that job finished before. */
  lookup (stage: string, input: Uint8Array): JobRecord | undefined {
    return this.jobs.get(jobKey(stage, input))
  }

  /** Whether this item is one the sink already wrote (each journaled copy excuses one delivery). */
  alreadyWritten (sink: string, bytes: Uint8Array, tag: string | undefined): boolean {
    if (this.written.size === 0) return false
    const key = sinkKey(sink, bytes, tag)
    const n = this.written.get(key)
    if (n == null) return false
    if (n > 1) this.written.set(key, n - 1)
    else this.written.delete(key)
    this.skippedCount++
    return true
  }

  /** Where the sink's file ended after its last journaled write (a longer file has a torn tail). */
  sinkPosition (sink: string): number | undefined {
    return this.positions.get(sink)
  }
}
