/**
 * The coordinator's journal, as data: what a run records while it goes (finished jobs and chunks with their
 * outputs, items each sink has safely written) and what a resumed run makes of it.
 *
 * Resuming re-reads the sources from the start and replays: functions are pure, so a job whose stage and
 * input match a journaled job gets the journaled outputs instead of running again (and a range piece's
 * items that journaled chunks cover take their outputs; only the gaps are cut anew), and the run reproduces
 * the same items at every sink. A sink skips the items the journal says it already wrote (counted per
 * item, so equal items are told apart by number), hence nothing reaches a sink twice.
 *
 * Platform-neutral. Entries as bytes: journal-codec.ts; the file (framing, checksums, torn tails): node-peer.
 */
import type { Emitted } from '../abi/abi.js'
import { GridError } from '../errors.js'

export const JOURNAL_FORMAT = 2

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

/**
 * A finished chunk of a range (core/run/chunks.ts): items start, start + step, … (count of them), and all
 * their outputs in item order. A record kind of its own, never a JobRecord: a chunk is found by the items it
 * covers (a resumed run cuts its chunks differently), and no item's input can be mistaken for it.
 */
export interface ChunkRecord {
  readonly stage: string
  readonly start: number
  readonly count: number
  readonly step: number
  readonly outputs: readonly Emitted[]
  /** The same outputs packed (core/protocol/packed-outputs.ts), when they came so: journaled as they are. */
  readonly packed?: Uint8Array
  /** Pinned stages: the member that ran it (its outputs carry that tag). */
  readonly tag?: string
}

/**
 * Items a sink has safely written; `position` is its size afterwards (file sinks, to cut a torn tail).
 * `blocks`: untagged items that came as chunks' packed outputs (all on port 0), journaled as they are, after
 * `items` (a decoded record has them in `items`).
 */
export interface SinkRecord {
  readonly sink: string
  readonly items: readonly Uint8Array[]
  readonly tags?: ReadonlyArray<string | undefined>
  readonly blocks?: readonly Uint8Array[]
  readonly position?: number
}

export type JournalEntry =
  | { readonly kind: 'header', readonly header: JournalHeader }
  | { readonly kind: 'jobs', readonly jobs: readonly JobRecord[] }
  | { readonly kind: 'chunks', readonly chunks: readonly ChunkRecord[] }
  | { readonly kind: 'sink', readonly record: SinkRecord }

/** Where a run writes its journal entries. Calls are synchronous, so an entry is out before the next event. */
export interface RunJournal {
  jobsDone (jobs: readonly JobRecord[]): void
  chunksDone (chunks: readonly ChunkRecord[]): void
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
