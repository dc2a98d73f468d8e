/**
 * The combiner's grouping (combiner.ts), over a chunk's outputs in the wire's packed layout
 * (core/protocol/packed-outputs.ts: port u8, length u32 LE, bytes): the `[key, value]` pairs of each combined
 * port are grouped by their key's byte range in place, in typed arrays reused chunk after chunk: no object per
 * pair or per key. A key's values are then laid out as one msgpack array in a reused buffer for the combine
 * call (`packValues`), and a key's combined pair is written as `[key, partial]` (`writePair`).
 *
 * Equal key bytes are equal keys; equal keys encoded differently merely stay apart here and meet in the
 * aggregate. An output on a combined port that is not a pair makes `collect` refuse the chunk.
 */
import type { PackedSink } from '../abi/host.js'
import { arrayHeaderLength, writeArrayHeader } from '../util/msgpack-bytes.js'
import { skipValue } from '../util/msgpack-skip.js'

/** Bytes of an output's header in the packed layout (port u8, length u32). */
const HEADER = 5
/** Ports a packed output can name (one byte). */
const PORTS = 256

export class PairGroups {
  /** The packed outputs being grouped (set by `collect`). */
  private buf: Uint8Array = new Uint8Array(0)
  /** Per pair (by its order among the combined pairs): where its value starts and ends, and the next pair of its key (-1: none). */
  private valueAt: Int32Array = new Int32Array(1024)
  private valueEnd: Int32Array = new Int32Array(1024)
  private nextPair: Int32Array = new Int32Array(1024)
  private pairs = 0
  /** Per group: the combiner it belongs to, where its first output starts, where its key ends, its hash, pair count, first and last pair. */
  private groupCombiner: Int32Array = new Int32Array(256)
  private groupOutput: Int32Array = new Int32Array(256)
  private groupKeyEnd: Int32Array = new Int32Array(256)
  private groupHash: Int32Array = new Int32Array(256)
  private groupSize: Int32Array = new Int32Array(256)
  private groupHead: Int32Array = new Int32Array(256)
  private groupTail: Int32Array = new Int32Array(256)
  /** Groups of the current chunk, in the order their keys first appeared. */
  groups = 0
  /** Open addressing: group index + 1 per slot (0: empty); at most half full. */
  private table: Int32Array = new Int32Array(1024)
  /** Where the outputs of ports not combined start, in order. */
  private others: Int32Array = new Int32Array(256)
  private otherCount = 0
  /** Combiner index per port (-1: not combined). */
  private readonly combinerOf = new Int16Array(PORTS)
  /** Where `packValues` and `writePair` build their bytes. */
  values: Uint8Array = new Uint8Array(4096)
  /** Bytes in `values` for the next combine call (set by the fold, combiner.ts). */
  valuesLength = 0

  /**
   * Groups the packed outputs in `buf` from `from` to `to` by port (`ports[c]` is combiner c's port) and
   * key. False when an output on a combined port is not a `[key, value]` pair: the chunk is then sent as is.
   */
  collect (buf: Uint8Array, from: number, to: number, ports: readonly number[]): boolean {
    this.buf = buf
    this.pairs = 0
    this.groups = 0
    this.otherCount = 0
    this.table.fill(0)
    this.combinerOf.fill(-1)
    for (let c = 0; c < ports.length; c++) if (ports[c] >= 0 && ports[c] < PORTS) this.combinerOf[ports[c]] = c
    for (let pos = from; pos < to;) {
      const start = pos + HEADER
      const end = start + ((buf[pos + 1] | (buf[pos + 2] << 8) | (buf[pos + 3] << 16) | (buf[pos + 4] << 24)) >>> 0)
      const combiner = this.combinerOf[buf[pos]]
      if (combiner < 0) {
        if (this.otherCount === this.others.length) this.others = grown(this.others)
        this.others[this.otherCount++] = pos
      } else if (!this.add(combiner, start, end)) return false
      pos = end
    }
    return true
  }

  /** One pair at `start..end` into its key's group; false if it is not a pair. */
  private add (combiner: number, start: number, end: number): boolean {
    const buf = this.buf
    // a pair: a 2-array tag, then the key, then the value to the end (no decoding)
    if (start >= end || buf[start] !== 0x92) return false
    const keyEnd = endOfKey(buf, start + 1, end)
    if (keyEnd < 0 || keyEnd >= end || valueEnd(buf, keyEnd, end) !== end) return false
    let h = 0x811c9dc5 ^ combiner
    for (let i = start + 1; i < keyEnd; i++) h = Math.imul(h ^ buf[i], 0x01000193)
    h |= 0 // as the Int32Array holds it
    const pair = this.pairs++
    if (pair === this.valueAt.length) {
      this.valueAt = grown(this.valueAt)
      this.valueEnd = grown(this.valueEnd)
      this.nextPair = grown(this.nextPair)
    }
    this.valueAt[pair] = keyEnd
    this.valueEnd[pair] = end
    this.nextPair[pair] = -1
    const mask = this.table.length - 1
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot]
      if (entry === 0) break
      const g = entry - 1
      if (this.groupHash[g] === h && this.groupCombiner[g] === combiner && this.sameKey(g, start, keyEnd)) {
        this.nextPair[this.groupTail[g]] = pair
        this.groupTail[g] = pair
        this.groupSize[g]++
        return true
      }
    }
    const g = this.groups++
    if (g === this.groupHash.length) this.growGroups()
    this.groupCombiner[g] = combiner
    this.groupOutput[g] = start - HEADER
    this.groupKeyEnd[g] = keyEnd
    this.groupHash[g] = h
    this.groupSize[g] = 1
    this.groupHead[g] = pair
    this.groupTail[g] = pair
    if (2 * this.groups > this.table.length) this.rehash()
    else this.place(g)
    return true
  }

  private sameKey (g: number, start: number, keyEnd: number): boolean {
    const buf = this.buf
    const other = this.groupOutput[g] + HEADER
    if (this.groupKeyEnd[g] - other !== keyEnd - start) return false
    for (let i = 1; i < keyEnd - start; i++) if (buf[other + i] !== buf[start + i]) return false
    return true
  }

  private place (g: number): void {
    const mask = this.table.length - 1
    let slot = this.groupHash[g] & mask
    while (this.table[slot] !== 0) slot = (slot + 1) & mask
    this.table[slot] = g + 1
  }

  private rehash (): void {
    this.table = new Int32Array(this.table.length * 2)
    for (let g = 0; g < this.groups; g++) this.place(g)
  }

  private growGroups (): void {
    this.groupCombiner = grown(this.groupCombiner)
    this.groupOutput = grown(this.groupOutput)
    this.groupKeyEnd = grown(this.groupKeyEnd)
    this.groupHash = grown(this.groupHash)
    this.groupSize = grown(this.groupSize)
    this.groupHead = grown(this.groupHead)
    this.groupTail = grown(this.groupTail)
  }

  /** The combiner (index into `ports`) of group `g`. */
  combiner (g: number): number {
    return this.groupCombiner[g]
  }

  /** How many values group `g` has. */
  size (g: number): number {
    return this.groupSize[g]
  }

  /** The first pair of group `g`. */
  head (g: number): number {
    return this.groupHead[g]
  }

  /** The pair `n` pairs after `pair` in its group (-1: none). */
  skip (pair: number, n: number): number {
    for (let k = 0; k < n && pair >= 0; k++) pair = this.nextPair[pair]
    return pair
  }

  /**
   * Lays out `[partial?, v_from, …]` in `values` (its first returned-count bytes): `n` values of the group
   * starting at `pair`, after `partialLen` bytes of `partial` from `partialAt` (none when partialLen is 0).
   */
  packValues (pair: number, n: number, partial: Uint8Array | undefined, partialAt: number, partialLen: number): number {
    const count = n + (partialLen > 0 ? 1 : 0)
    const header = arrayHeaderLength(count)
    if (header + partialLen > this.values.length) this.values = grownBytes(this.values, 0, header + partialLen)
    let out = this.values
    const buf = this.buf
    writeArrayHeader(out, count)
    let pos = header
    if (partial != null) for (let k = 0; k < partialLen; k++) out[pos++] = partial[partialAt + k]
    // one walk along the key's pairs, the buffer grown when a value would not fit
    for (let p = pair, k = 0; k < n; k++, p = this.nextPair[p]) {
      const from = this.valueAt[p]
      const to = this.valueEnd[p]
      if (pos + to - from > out.length) out = this.values = grownBytes(out, pos, pos + to - from)
      for (let i = from; i < to; i++) out[pos++] = buf[i]
    }
    return pos
  }

  /** The first output of group `g` as emitted (a key with one value is sent unchanged). */
  writeFirst (g: number, port: number, out: PackedSink): void {
    const start = this.groupOutput[g] + HEADER
    out.append(port, this.buf, start, this.valueEnd[this.groupHead[g]] - start)
  }

  /** `[key of g, partial]` (partialLen bytes of `partial` from `partialAt`) on `port` into `out`. */
  writePair (g: number, port: number, partial: Uint8Array, partialAt: number, partialLen: number, out: PackedSink): void {
    const start = this.groupOutput[g] + HEADER
    const keyLength = this.groupKeyEnd[g] - start
    const length = keyLength + partialLen
    if (length > this.values.length) this.values = grownBytes(this.values, 0, length)
    const bytes = this.values
    for (let i = 0; i < keyLength; i++) bytes[i] = this.buf[start + i] // the 0x92 tag and the key
    for (let k = 0; k < partialLen; k++) bytes[keyLength + k] = partial[partialAt + k]
    out.append(port, bytes, 0, length)
  }

  /** The outputs of ports not combined, in their order, into `out`. */
  writeOthers (out: PackedSink): void {
    const buf = this.buf
    for (let i = 0; i < this.otherCount; i++) {
      const pos = this.others[i]
      out.append(buf[pos], buf, pos + HEADER, (buf[pos + 1] | (buf[pos + 2] << 8) | (buf[pos + 3] << 16) | (buf[pos + 4] << 24)) >>> 0)
    }
  }
}

/** Where a pair's key ends (a short string, the common case, without a call), or -1. */
function endOfKey (buf: Uint8Array, at: number, end: number): number {
  const tag = buf[at]
  if ((tag & 0xe0) === 0xa0) return at + 1 + (tag & 0x1f) <= end ? at + 1 + (tag & 0x1f) : -1
  return skipValue(buf.subarray(0, end), at)
}

/** Where the value at `at` ends (a positive fixint, the common case, without a call), or -1. */
function valueEnd (buf: Uint8Array, at: number, end: number): number {
  if (buf[at] <= 0x7f && at + 1 === end) return end
  return skipValue(buf.subarray(0, end), at)
}

/** A buffer of at least `size` bytes holding the first `keep` bytes of `a`. */
function grownBytes (a: Uint8Array, keep: number, size: number): Uint8Array {
  const next = new Uint8Array(Math.max(size, 2 * a.length))
  next.set(a.subarray(0, keep))
  return next
}

function grown (a: Int32Array): Int32Array {
  const next = new Int32Array(a.length * 2)
  next.set(a)
  return next
}
