/**
 * The queue of a stage fed by a split range source (chunks.ts): pieces of the range wait here uncut, and a
 * chunk is cut from the first piece only when a worker asks (cutting-queue.ts), at the size the stage's sizer
 * holds then, so every chunk is sized with the latest cost per item.
 *
 * Cuts are buddy blocks: a chunk at offset o of its piece has 2^j items with o a multiple of 2^j, so the
 * same positions are cut whatever sizes were learned.
 */
import { Fifo } from '../../util/fifo.js'
import { encodeRangeChunk } from '../chunks.js'
import type { RangeChunk } from '../chunks.js'
import { CuttingQueue } from './cutting-queue.js'
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

export class RangeQueue extends CuttingQueue {
  private readonly pieces = new Fifo<Piece>()
  /** Items in the pieces not cut yet (they take no memory). */
  protected uncut = 0

  constructor (private readonly init: RangeQueueInit) {
    super(init.inner)
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

  /** Items `from` to `from + count` of `range` as a piece of their own (cut from its start, aligned there). */
  private pushPiece (range: RangeChunk, from: number, count: number): void {
    if (count <= 0) return
    this.pieces.push({ start: range.start + from * range.step, step: range.step, count, offset: 0 })
    this.uncut += count
  }

  protected cut (): Work | undefined {
    const piece = this.pieces.peek()
    if (piece == null) return undefined
    const offset = piece.offset
    const left = piece.count - offset
    const count = Math.min(left, aligned(offset, this.init.size()))
    piece.offset += count
    this.uncut -= count
    if (piece.offset >= piece.count) this.pieces.shift()
    const chunk = { start: piece.start + offset * piece.step, count, step: piece.step }
    return { input: encodeRangeChunk(chunk), attempts: 0, chunk }
  }
}

/** The largest power of two ≤ `size` that `offset` is a multiple of. */
function aligned (offset: number, size: number): number {
  let count = size
  while (count > 1 && offset % count !== 0) count /= 2
  return count
}
