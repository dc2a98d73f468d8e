/**
 * What a resumed run starts from: the journal's finished jobs, found by (stage, input), its finished chunks,
 * found by the items they cover (chunk-index.ts), and the items each sink already wrote, each journaled copy
 * excusing one delivery. Built for journals of millions of jobs: the
 * encoded entries stay as they are and are indexed in typed arrays (ref-table.ts); a record is decoded only
 * when a lookup finds it. Memory is about the journal's size plus 26 bytes per job and per sink item.
 */
import { encodedName, entryInfo, jobAt, jobKeyAt, sinkItemAt, visitJobs, visitSinkItems } from './journal-codec.js'
import type { ChunkRecord, JobRecord, JournalHeader } from './journal.js'
import { ChunkIndex } from './chunk-index.js'
import type { ItemSpan } from './chunk-index.js'
import { finishHash, HASH_SEED, hashBytes, sameBytes } from '../util/hash.js'
import { RefTable } from './ref-table.js'

const NO_TAG = new Uint8Array(0)

function jobHash (stage: Uint8Array, input: Uint8Array): number {
  return finishHash(hashBytes(hashBytes(HASH_SEED, stage), input))
}

function sinkHash (sink: Uint8Array, tag: Uint8Array | undefined, item: Uint8Array): number {
  // a missing tag hashes like an empty one; the comparison tells them apart
  return finishHash(hashBytes(hashBytes(hashBytes(HASH_SEED, sink), tag ?? NO_TAG), item))
}

export class ResumePoint {
  /** Encoded journal entries (jobs and sink writes), in journal order. */
  private readonly payloads: readonly Uint8Array[]
  /** (entry index, offset of the record) by hash of (stage, input). */
  private readonly jobs: RefTable
  /** (entry index, offset of the item) by hash of (sink, tag, item); used up as the items are skipped. */
  private readonly written: RefTable
  /** Finished chunks, by stage and the items they cover. */
  private readonly chunks: ChunkIndex
  /** Sink name of each sink entry (by entry index). */
  private readonly sinkOf = new Map<number, string>()
  private readonly positions = new Map<string, number>()
  private skippedCount = 0

  /** `payloads`: the journal's encoded entries after its header (journal-codec.ts). */
  constructor (readonly header: JournalHeader, payloads: readonly Uint8Array[]) {
    this.payloads = payloads
    let jobCount = 0
    let itemCount = 0
    let chunkCount = 0
    for (const payload of payloads) {
      const { kind, records } = entryInfo(payload)
      if (kind === 'jobs') jobCount += records
      else if (kind === 'sink') itemCount += records
      else if (kind === 'chunks') chunkCount += records
    }
    this.chunks = new ChunkIndex(payloads, chunkCount)
    this.jobs = new RefTable(jobCount)
    this.written = new RefTable(itemCount)
    payloads.forEach((payload, index) => {
      const kind = entryInfo(payload).kind
      if (kind === 'jobs') {
        visitJobs(payload, (at, stage, input) => { this.jobs.add(jobHash(stage, input), index, at) })
      } else if (kind === 'sink') {
        const { sink, position } = visitSinkItems(payload, (at, sinkName, tag, item) => {
          this.written.add(sinkHash(sinkName, tag, item), index, at)
        })
        this.sinkOf.set(index, sink)
        if (position != null) this.positions.set(sink, position)
      }
    })
  }

  /** Finished jobs in the journal. */
  get jobCount (): number {
    return this.jobs.size
  }

  /** Finished chunks in the journal. */
  get chunkCount (): number {
    return this.chunks.size
  }

  /** Items the journaled chunks cover. */
  get chunkItemCount (): number {
    return this.chunks.itemCount
  }

  /** Items the sinks had written, all together. */
  get sinkItemCount (): number {
    return this.written.size
  }

  /** Items skipped so far because a sink had written them before. */
  get skipped (): number {
    return this.skippedCount
  }

  /** The journaled outputs of `stage` for this input, if that job finished before. */
  lookup (stage: string, input: Uint8Array): JobRecord | undefined {
    if (this.jobs.size === 0) return undefined
    const stageBytes = encodedName(stage)
    const found = this.jobs.find(jobHash(stageBytes, input), (index, at) => {
      const key = jobKeyAt(this.payloads[index], at)
      return sameBytes(key.input, input) && sameBytes(key.stage, stageBytes)
    })
    return found != null ? jobAt(this.payloads[found.a], found.b) : undefined
  }

  /**
   * The journaled chunks of `stage` wholly inside `span` (a piece of a range source), in item order and not
   * overlapping: their outputs stand in for running those items again.
   */
  chunksWithin (stage: string, span: ItemSpan): ChunkRecord[] {
    return this.chunks.size === 0 ? [] : this.chunks.within(stage, span)
  }

  /** Whether this item is one the sink already wrote (each journaled copy excuses one delivery). */
  alreadyWritten (sink: string, bytes: Uint8Array, tag: string | undefined): boolean {
    if (this.written.size === this.skippedCount) return false
    const sinkBytes = encodedName(sink)
    const tagBytes = tag != null ? encodedName(tag) : undefined
    const found = this.written.find(sinkHash(sinkBytes, tagBytes, bytes), (index, at) => {
      if (this.sinkOf.get(index) !== sink) return false
      const written = sinkItemAt(this.payloads[index], at)
      return sameBytes(written.item, bytes) && (written.tag == null ? tagBytes == null : tagBytes != null && sameBytes(written.tag, tagBytes))
    }, true)
    if (found == null) return false
    this.skippedCount++
    return true
  }

  /** Where the sink's file ended after its last journaled write (a longer file has a torn tail). */
  sinkPosition (sink: string): number | undefined {
    return this.positions.get(sink)
  }
}
