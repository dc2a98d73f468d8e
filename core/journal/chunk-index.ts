/**
 * A resumed run's index of journaled chunks, found by the items they cover: the resumed run reads the same
 * range pieces but its sizer starts small again, so its cuts do not line up with the journaled ones. It asks
 * which journaled chunks lie wholly inside a piece (chunk-plan.ts) and cuts only the gaps between them.
 * Few records (a chunk holds up to 65,536 items), kept in typed arrays all the same; a record's outputs are
 * decoded only when its piece is read.
 */
import { chunkAt, entryInfo, visitChunks } from './journal-codec.js'
import type { ChunkRecord } from './journal.js'

const fromUtf8 = new TextDecoder()

/** A range of items: start, start + step, … (count of them). */
export interface ItemSpan {
  readonly start: number
  readonly count: number
  readonly step: number
}

export class ChunkIndex {
  private readonly starts: Float64Array
  private readonly counts: Uint32Array
  private readonly steps: Float64Array
  /** Where each record lives: its entry index and offset in that entry. */
  private readonly entries: Uint32Array
  private readonly offsets: Uint32Array
  /** Record ids of each stage, sorted by start. */
  private readonly byStage = new Map<string, Uint32Array>()
  private items = 0

  /** `payloads`: the journal's encoded entries after its header; `records`: how many chunk records they hold. */
  constructor (private readonly payloads: readonly Uint8Array[], records: number) {
    this.starts = new Float64Array(records)
    this.counts = new Uint32Array(records)
    this.steps = new Float64Array(records)
    this.entries = new Uint32Array(records)
    this.offsets = new Uint32Array(records)
    const ids = new Map<string, number[]>()
    let id = 0
    payloads.forEach((payload, index) => {
      if (entryInfo(payload).kind !== 'chunks') return
      visitChunks(payload, (at, stage, start, count, step) => {
        this.starts[id] = start
        this.counts[id] = count
        this.steps[id] = step
        this.entries[id] = index
        this.offsets[id] = at
        this.items += count
        const name = fromUtf8.decode(stage)
        let list = ids.get(name)
        if (list == null) ids.set(name, list = [])
        list.push(id++)
      })
    })
    for (const [stage, list] of ids) this.byStage.set(stage, Uint32Array.from(list).sort((a, b) => this.starts[a] - this.starts[b]))
  }

  /** Chunk records in the journal. */
  get size (): number {
    return this.starts.length
  }

  /** Items the journaled chunks cover, all together. */
  get itemCount (): number {
    return this.items
  }

  /**
   * The journaled chunks of `stage` that lie wholly inside `span` on its items (same step, aligned), in item
   * order and not overlapping (a stage fed by two ranges may hold overlapping chunks of each: either covers
   * the same items with the same outputs, functions being pure). Chunks straddling the span are left out:
   * their items run again.
   */
  within (stage: string, span: ItemSpan): ChunkRecord[] {
    const ids = this.byStage.get(stage)
    if (ids == null || span.count <= 0) return []
    const last = span.start + (span.count - 1) * span.step
    const lo = Math.min(span.start, last)
    const hi = Math.max(span.start, last)
    const found: Array<{ offset: number, id: number }> = []
    for (let i = this.firstAtLeast(ids, lo); i < ids.length && this.starts[ids[i]] <= hi; i++) {
      const id = ids[i]
      if (this.steps[id] !== span.step) continue
      const offset = (this.starts[id] - span.start) / span.step
      if (Number.isInteger(offset) && offset >= 0 && offset + this.counts[id] <= span.count) found.push({ offset, id })
    }
    found.sort((a, b) => a.offset - b.offset)
    const taken: ChunkRecord[] = []
    let end = 0
    for (const { offset, id } of found) {
      if (offset < end) continue
      taken.push(chunkAt(this.payloads[this.entries[id]], this.offsets[id]))
      end = offset + this.counts[id]
    }
    return taken
  }

  /** Index in `ids` of the first record starting at `value` or later (binary search). */
  private firstAtLeast (ids: Uint32Array, value: number): number {
    let lo = 0
    let hi = ids.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.starts[ids[mid]] < value) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
