/**
 * Sources as the orchestrator reads them: lazily, in chunks, already msgpack-encoded, with progress.
 * The in-memory kinds (range, values) live here; file kinds are platform adapters (node-peer/sources.ts).
 */
import { encodeValue } from '../codec.js'
import type { SourceSpec } from '../flow/model.js'
import type { RangeChunk } from './chunks.js'

export interface SourceCursor {
  /** Up to `max` encoded items; an empty array means the source is exhausted. */
  read (max: number): Promise<Uint8Array[]>
  /**
   * A range source only: the next up to `max` items as one sub-range (not encoded), undefined once exhausted.
   * The run hands such pieces out as chunks when only chunkable stages read the source (core/run/chunks.ts).
   */
  readRange?: (max: number) => RangeChunk | undefined
  /** Items read so far and, when known, the total (or bytes, for files). */
  progress (): { readonly done: number, readonly total?: number }
  close (): Promise<void>
}

export type SourceOpener = (spec: SourceSpec) => SourceCursor

export class RangeCursor implements SourceCursor {
  private next: number
  private readonly count: number
  private read_ = 0

  constructor (private readonly spec: Extract<SourceSpec, { kind: 'range' }>) {
    this.next = spec.start
    this.count = Math.max(0, Math.ceil((spec.end - spec.start) / spec.step))
  }

  async read (max: number): Promise<Uint8Array[]> {
    const items: Uint8Array[] = []
    while (items.length < max && this.next < this.spec.end) {
      items.push(encodeValue(this.next))
      this.next += this.spec.step
    }
    this.read_ += items.length
    return items
  }

  readRange (max: number): RangeChunk | undefined {
    const count = Math.min(max, Math.max(0, Math.ceil((this.spec.end - this.next) / this.spec.step)))
    if (count <= 0) return undefined
    const start = this.next
    this.next += count * this.spec.step
    this.read_ += count
    return { start, count, step: this.spec.step }
  }

  progress (): { done: number, total: number } {
    return { done: this.read_, total: this.count }
  }

  async close (): Promise<void> {}
}

export class ValuesCursor implements SourceCursor {
  private index = 0

  constructor (private readonly values: readonly unknown[]) {}

  async read (max: number): Promise<Uint8Array[]> {
    const slice = this.values.slice(this.index, this.index + max)
    this.index += slice.length
    return slice.map(v => encodeValue(v))
  }

  progress (): { done: number, total: number } {
    return { done: this.index, total: this.values.length }
  }

  async close (): Promise<void> {}
}
