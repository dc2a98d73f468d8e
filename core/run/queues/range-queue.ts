/**
 * The queue of a stage fed by a split range source (chunks.ts): pieces of the range wait here uncut, and a
 * chunk is cut from the first piece only when a worker asks, at the size the stage's sizer holds then (so
 * every chunk is sized with the latest cost per item). The cut chunk goes into the stage's own queue (its
 * mode: shared, pinned or verified) and is taken from there like any work; work already there (a chunk put
 * back after a lost lease or a failure, replicas of a verified chunk) goes first.
 *
 * Cuts are buddy blocks: a chunk at offset o of its piece has 2^j items with o a multiple of 2^j, so the
 * same positions are cut whatever sizes were learned.
 */
import { Fifo } from '../../util/fifo.js'
import { encodeRangeChunk } from '../chunks.js'
import type { RangeChunk } from '../chunks.js'
import type { StageQueue, Work } from './stage-queue.js'

interface Piece {
  readonly start: number
  readonly step: number
  readonly count: number
  /** Items of the piece already cut. */
  offset: number
}

export interface RangeQueueInit {
  /** The stage's queue of its mode: cut chunks and other work wait there. */
  readonly inner: StageQueue
  /** Items the next chunk should hold (a power of two; the stage's ChunkSizer). */
  readonly size: () => number
}

export class RangeQueue implements StageQueue {
  /** Items pushed here replay when routed, as anywhere; journaled chunks replay when their piece is read. */
  readonly replaysOnTake = false
  private readonly pieces = new Fifo<Piece>()
  /** Items in the pieces not cut yet. */
  private uncut = 0

  constructor (private readonly init: RangeQueueInit) {}

  /**
   * Work in the inner queue and the items not cut yet. Counting uncut items (which take no memory) keeps the
   * run's high-water mark reading a range source piece by piece, and progress counting items.
   */
  get size (): number {
    return this.init.inner.size + this.uncut
  }

  /**
   * A piece of a range source, cut into chunks as workers ask. `replayed`: on a resumed run, the journaled
   * chunks inside the piece (in item order, not overlapping), whose outputs the router replays: only the gaps
   * between them wait here. They are intervals of items, not chunk identities: the sizer starts small again,
   * so new cuts do not line up with the journaled ones.
   */
  pushRange (range: RangeChunk, replayed: readonly RangeChunk[] = []): void {
    let at = 0
    for (const span of replayed) {
      const offset = (span.start - range.start) / range.step
      this.pushPiece(range, at, offset - at)
      at = offset + span.count
    }
    this.pushPiece(range, at, range.count - at)
  }

  push (work: Work): void {
    this.init.inner.push(work)
  }

  refill (): void {
    this.init.inner.refill()
  }

  take (worker: string): Work | undefined {
    const inner = this.init.inner
    const waiting = inner.take(worker)
    if (waiting != null) return waiting
    const chunk = this.cut()
    if (chunk == null) return undefined
    inner.push({ input: encodeRangeChunk(chunk), attempts: 0, chunk })
    return inner.take(worker)
  }

  putBack (work: Work, worker: string): void {
    this.init.inner.putBack(work, worker)
  }

  memberLeft (member: string): void {
    this.init.inner.memberLeft(member)
  }

  decided (work: Work): void {
    this.init.inner.decided(work)
  }

  /** Items `from` to `from + count` of `range` as a piece of their own (cut from its start, aligned there). */
  private pushPiece (range: RangeChunk, from: number, count: number): void {
    if (count <= 0) return
    this.pieces.push({ start: range.start + from * range.step, step: range.step, count, offset: 0 })
    this.uncut += count
  }

  private cut (): RangeChunk | undefined {
    const piece = this.pieces.peek()
    if (piece == null) return undefined
    const offset = piece.offset
    const left = piece.count - offset
    const count = Math.min(left, aligned(offset, this.init.size()))
    piece.offset += count
    this.uncut -= count
    if (piece.offset >= piece.count) this.pieces.shift()
    return { start: piece.start + offset * piece.step, count, step: piece.step }
  }
}

/** The largest power of two ≤ `size` that `offset` is a multiple of. */
function aligned (offset: number, size: number): number {
  let count = size
  while (count > 1 && offset % count !== 0) count /= 2
  return count
}
