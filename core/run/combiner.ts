/**
 * Worker-side combining (a MapReduce combiner): before a chunk's outputs leave the worker, the `[key, value]`
 * pairs it emitted on a port read only by an aggregate stage (chunk-plan.ts, chunkCombiners) are folded per
 * key with that aggregate's combine function, so the coordinator receives one partial pair per key per
 * chunk instead of every pair. The function is associative and commutative by contract (README, Aggregate):
 * the aggregate folds partials as it folds values, and its result is the same.
 *
 * Grouping is by the key's msgpack bytes (no decoding, pair-groups.ts): equal bytes are equal keys; equal keys
 * encoded differently would merely stay apart here and meet in the aggregate. One fold (`foldGroups`) serves
 * both paths: `PackedCombiner` (ABI v1 functions: the chunk's outputs packed as emitted, synchronous combine
 * calls, the result written straight into the outcome buffer's packed record, no object per pair) and
 * `combineOutputs` (outputs as objects and calls that may be asynchronous: WASI, JavaScript).
 *
 * Anything that does not combine cleanly (an output that is not a pair, a combine call that fails or does not
 * emit exactly one value on port 0) leaves the chunk's outputs as they were: the coordinator then meets the
 * same item or error as without a combiner, and the run ends as it would have.
 */
import type { Emitted } from '../abi/abi.js'
import type { PackedSink } from '../abi/host.js'
import type { FunctionRef, JobCombiner } from '../jobs.js'
import { packOutputs } from '../protocol/packed-outputs.js'
import { PackedScratch } from './packed-scratch.js'
import { PairGroups } from './pair-groups.js'

/** Values per combine call at most (a key's values beyond are folded in further calls with the partial). */
export const COMBINE_GROUP = 4096

/**
 * Packed outputs a PackedCombiner groups at a time: a chunk's outputs beyond are combined piece by piece and
 * the pieces' partials again (measured on W10's text: a piece of ~4,000 lines combines in about 60 % of the
 * time per line that a 56,000-line chunk takes in one pass, its tables being in cache).
 */
export const COMBINE_PIECE_BYTES = 1 << 19

/** Calls a function on an input (the sandbox's call: ABI v1, WASI or JavaScript). */
export type CombineCall = (fn: FunctionRef, input: Uint8Array) => readonly Emitted[] | Promise<readonly Emitted[]>

/**
 * A synchronous combine call (FunctionInstance.callPacked): combiner `c`'s function on the first `len` bytes
 * of `input`, its outputs appended to `out`; throws when the call fails.
 */
export type PackedCombineCall = (c: number, input: Uint8Array, len: number, out: PackedScratch) => void

/** A combine call's single output on port 0: `len` bytes of `bytes` from `at`. */
interface Partial { bytes: Uint8Array, at: number, len: number }

/**
 * The fold over grouped pairs, for either kind of call: yields combiner c's index each time its function is to
 * be called on the first `groups.valuesLength` bytes of `groups.values`, and is resumed with the call's one
 * output on port 0 (undefined: the call failed or emitted other than that; the fold then returns false). Each
 * key's result goes to `out` (a key with one value as emitted), combiner after combiner, keys in the order they
 * first appeared.
 */
function * foldGroups (groups: PairGroups, ports: readonly number[], out: PackedSink): Generator<number, boolean, Partial | undefined> {
  for (let c = 0; c < ports.length; c++) {
    for (let g = 0; g < groups.groups; g++) {
      if (groups.combiner(g) !== c) continue
      if (groups.size(g) === 1) {
        groups.writeFirst(g, ports[c], out)
        continue
      }
      let partial: Partial | undefined
      let pair = groups.head(g)
      for (let left = groups.size(g); left > 0;) {
        const n = Math.min(left, partial == null ? COMBINE_GROUP : COMBINE_GROUP - 1)
        groups.valuesLength = groups.packValues(pair, n, partial?.bytes, partial?.at ?? 0, partial?.len ?? 0)
        partial = yield c
        if (partial == null) return false
        pair = groups.skip(pair, n)
        left -= n
      }
      groups.writePair(g, ports[c], partial!.bytes, partial!.at, partial!.len, out)
    }
  }
  return true
}

/**
 * The combiner of the synchronous path: a chunk's outputs, packed as its function emitted them, folded into a
 * packed sink (the outcome buffer's open record). Buffers are reused chunk after chunk.
 */
export class PackedCombiner {
  private readonly groups = new PairGroups()
  private readonly combined = new PackedScratch()
  private readonly call = new PackedScratch()
  private readonly partials = new PackedScratch()
  private readonly partial: Partial = { bytes: this.call.bytes, at: 0, len: 0 }

  /**
   * Writes the first `length` bytes of packed outputs in `buf` into `out`, the pairs on `ports` (combiner c's
   * port is `ports[c]`) folded per key with `call`, after the outputs of other ports in their order; or all of
   * them unchanged when any of it does not combine cleanly.
   */
  combine (buf: Uint8Array, length: number, ports: readonly number[], call: PackedCombineCall, out: PackedSink): void {
    if (length <= COMBINE_PIECE_BYTES) {
      if (!this.tryCombine(buf, 0, length, ports, call, out)) writeUnchanged(buf, 0, length, out)
      return
    }
    // piece by piece into partials, then the partials: each piece's tables stay in cache (a key with one value
    // overall still goes out as emitted); anything unclean sends the whole chunk unchanged, as in one pass
    const partials = this.partials
    partials.reset()
    for (let from = 0; from < length;) {
      let to = from
      while (to < length && to - from < COMBINE_PIECE_BYTES) to += 5 + ((buf[to + 1] | (buf[to + 2] << 8) | (buf[to + 3] << 16) | (buf[to + 4] << 24)) >>> 0)
      if (!this.tryCombine(buf, from, to, ports, call, partials)) {
        writeUnchanged(buf, 0, length, out)
        return
      }
      from = to
    }
    if (!this.tryCombine(partials.bytes, 0, partials.length, ports, call, out)) writeUnchanged(buf, 0, length, out)
  }

  /**
   * The same for the outputs from `from` to `to` of `buf`, written into `out` only when all of them combine
   * cleanly; false (nothing written) when not.
   */
  tryCombine (buf: Uint8Array, from: number, to: number, ports: readonly number[], call: PackedCombineCall, out: PackedSink): boolean {
    if (!this.fold(buf, from, to, ports, call)) return false
    this.groups.writeOthers(out)
    const c = this.combined
    for (let pos = 0; pos < c.length; pos = c.next(pos)) out.append(c.port(pos), c.bytes, c.start(pos), c.size(pos))
    return true
  }

  private fold (buf: Uint8Array, from: number, to: number, ports: readonly number[], call: PackedCombineCall): boolean {
    this.combined.reset()
    if (!this.groups.collect(buf, from, to, ports)) return false
    const steps = foldGroups(this.groups, ports, this.combined)
    const scratch = this.call
    for (let step = steps.next(); ;) {
      if (step.done === true) return step.value
      scratch.reset()
      try {
        call(step.value, this.groups.values, this.groups.valuesLength, scratch)
      } catch {
        return false
      }
      const ok = scratch.count === 1 && scratch.port(0) === 0
      if (ok) {
        this.partial.bytes = scratch.bytes
        this.partial.at = scratch.start(0)
        this.partial.len = scratch.size(0)
      }
      step = steps.next(ok ? this.partial : undefined)
    }
  }
}

/** The packed outputs of `buf` from `from` to `to` into `out` as they are. */
export function writeUnchanged (buf: Uint8Array, from: number, to: number, out: PackedSink): void {
  for (let pos = from; pos < to;) {
    const len = (buf[pos + 1] | (buf[pos + 2] << 8) | (buf[pos + 3] << 16) | (buf[pos + 4] << 24)) >>> 0
    out.append(buf[pos], buf, pos + 5, len)
    pos += 5 + len
  }
}

/**
 * The chunk's outputs with the pairs on each combined port folded to one per key (after the outputs of other
 * ports, which keep their order), or `outputs` itself when any of it does not combine cleanly. Outputs sent
 * unchanged are the objects given.
 */
export async function combineOutputs (outputs: readonly Emitted[], combiners: readonly JobCombiner[], call: CombineCall): Promise<readonly Emitted[]> {
  // the packed layout has a byte per port: outputs beyond cannot be grouped (and no packed chunk has them)
  if (outputs.some(o => o.port > 255)) return outputs
  const packed = packOutputs(outputs)
  // where each output's bytes start in `packed`, ascending: an output passed on unchanged is found by it
  const starts = new Int32Array(outputs.length)
  for (let i = 0, pos = 0; i < outputs.length; pos += 5 + outputs[i].bytes.length, i++) starts[i] = pos + 5
  const result: Emitted[] = []
  const collect: PackedSink = {
    append: (port, src, at, len) => {
      result.push(src === packed ? outputs[indexOf(starts, at)] : { port, bytes: src.slice(at, at + len) })
    }
  }
  const groups = new PairGroups()
  const ports = combiners.map(c => c.port)
  if (!groups.collect(packed, 0, packed.length, ports)) return outputs
  groups.writeOthers(collect)
  const steps = foldGroups(groups, ports, collect)
  for (let step = steps.next(); ;) {
    if (step.done === true) return step.value ? result : outputs
    let emitted: readonly Emitted[]
    try {
      emitted = await call(combiners[step.value].fn, groups.values.slice(0, groups.valuesLength))
    } catch {
      return outputs
    }
    const ok = emitted.length === 1 && emitted[0].port === 0
    step = steps.next(ok ? { bytes: emitted[0].bytes, at: 0, len: emitted[0].bytes.length } : undefined)
  }
}

/** The index of `value` in ascending `sorted` (it is there). */
function indexOf (sorted: Int32Array, value: number): number {
  let lo = 0
  let hi = sorted.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] < value) lo = mid + 1
    else hi = mid
  }
  return lo
}
