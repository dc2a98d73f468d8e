/**
 * Worker-side combining (a MapReduce combiner): before a chunk's outputs leave the worker, the `[key, value]`
 * pairs it emitted on a port read only by an aggregate stage (chunk-plan.ts, chunkCombiners) are folded per
 * key with that aggregate's combine function, so the coordinator receives one partial pair per key per
 * chunk instead of every pair. The function is associative and commutative by contract (README, Aggregate):
 * the aggregate folds partials as it folds values, and its result is the same.
 *
 * Grouping is by the key's msgpack bytes (no decoding): equal bytes are equal keys; equal keys encoded
 * differently would merely stay apart here and meet in the aggregate. Anything that does not combine cleanly
 * (an output that is not a pair, a combine call that fails or does not emit exactly one value on port 0)
 * leaves the chunk's outputs as they were: the coordinator then meets the same item or error as without a
 * combiner, and the run ends as it would have.
 */
import type { Emitted } from '../abi/abi.js'
import type { FunctionRef, JobCombiner } from '../jobs.js'
import { arrayHeaderLength, packArray, writeArrayHeader } from '../util/msgpack-bytes.js'
import { skipValue } from '../util/msgpack-skip.js'

/** Values per combine call at most (a key's values beyond are folded in further calls with the partial). */
export const COMBINE_GROUP = 4096

/** Calls a function on an input (the sandbox's call: ABI v1, WASI or JavaScript). */
export type CombineCall = (fn: FunctionRef, input: Uint8Array) => readonly Emitted[] | Promise<readonly Emitted[]>

/** One key's values on one port: each value is `bytes[i]` from `starts[i]` to its end (no copies, no views). */
interface Group {
  /** The first pair of the key as emitted (sent unchanged when the key has one value); its key ends at keyEnd. */
  readonly first: Uint8Array
  readonly keyEnd: number
  readonly bytes: Uint8Array[]
  readonly starts: number[]
  /** Another key with the same hash. */
  next?: Group
}

/**
 * The chunk's outputs with the pairs on each combined port folded to one per key (after the outputs of other
 * ports, which keep their order), or `outputs` itself when any of it does not combine cleanly.
 */
export async function combineOutputs (outputs: readonly Emitted[], combiners: readonly JobCombiner[], call: CombineCall): Promise<readonly Emitted[]> {
  const byPort = new Map<number, { readonly fn: FunctionRef, readonly groups: Map<number, Group> }>()
  for (const c of combiners) byPort.set(c.port, { fn: c.fn, groups: new Map() })
  const result: Emitted[] = []
  for (const output of outputs) {
    const target = byPort.get(output.port)
    if (target == null) {
      result.push(output)
      continue
    }
    // a pair: a 2-array tag, then the key, then the value to the end (per output: no decoding, no allocation)
    const bytes = output.bytes
    if (bytes[0] !== 0x92) return outputs
    const keyEnd = endOfKey(bytes)
    if (keyEnd < 0 || (keyEnd + 1 !== bytes.length || bytes[keyEnd] > 0x7f ? skipValue(bytes, keyEnd) !== bytes.length : false)) return outputs
    const hash = hashBytes(bytes, 1, keyEnd)
    let group = target.groups.get(hash)
    while (group != null && !sameKey(group.first, group.keyEnd, bytes, keyEnd)) group = group.next
    if (group == null) target.groups.set(hash, { first: bytes, keyEnd, bytes: [bytes], starts: [keyEnd], next: target.groups.get(hash) })
    else {
      group.bytes.push(bytes)
      group.starts.push(keyEnd)
    }
  }
  try {
    for (const [port, { fn, groups }] of byPort) {
      for (const chain of groups.values()) {
        for (let group: Group | undefined = chain; group != null; group = group.next) {
          if (group.bytes.length === 1) {
            result.push({ port, bytes: group.first })
            continue
          }
          const partial = await fold(group, fn, call)
          if (partial == null) return outputs
          result.push({ port, bytes: packArray([group.first.subarray(1, group.keyEnd), partial]) })
        }
      }
    }
  } catch {
    return outputs
  }
  return result
}

/** Folds a key's values with `fn`, COMBINE_GROUP at a time; undefined if a call does not emit one value on port 0. */
async function fold (group: Group, fn: FunctionRef, call: CombineCall): Promise<Uint8Array | undefined> {
  const { bytes, starts } = group
  let partial: Uint8Array | undefined
  for (let at = 0; at < bytes.length;) {
    const end = Math.min(bytes.length, at + (partial == null ? COMBINE_GROUP : COMBINE_GROUP - 1))
    const emitted = await call(fn, packValues(bytes, starts, at, end, partial))
    if (emitted.length !== 1 || emitted[0].port !== 0) return undefined
    partial = emitted[0].bytes
    at = end
  }
  return partial
}

/** A msgpack array of `partial` (if any) and the values from..to, copied once into one buffer. */
function packValues (bytes: readonly Uint8Array[], starts: readonly number[], from: number, to: number, partial: Uint8Array | undefined): Uint8Array {
  const n = to - from + (partial != null ? 1 : 0)
  const header = arrayHeaderLength(n)
  let length = header + (partial?.length ?? 0)
  for (let i = from; i < to; i++) length += bytes[i].length - starts[i]
  const out = new Uint8Array(length)
  writeArrayHeader(out, n)
  let pos = header
  if (partial != null) {
    out.set(partial, pos)
    pos += partial.length
  }
  for (let i = from; i < to; i++) {
    const b = bytes[i]
    for (let k = starts[i]; k < b.length; k++) out[pos++] = b[k]
  }
  return out
}

/** Where a pair's key ends (a short string, the common case, without a call), or -1. */
function endOfKey (bytes: Uint8Array): number {
  const tag = bytes[1]
  if ((tag & 0xe0) === 0xa0) return 2 + (tag & 0x1f) <= bytes.length ? 2 + (tag & 0x1f) : -1
  return skipValue(bytes, 1)
}

/** FNV-1a over bytes[from, to). */
function hashBytes (bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], 0x01000193)
  return h >>> 0
}

/** Whether two pairs' keys (from byte 1 to their key ends) are the same bytes. */
function sameKey (a: Uint8Array, aEnd: number, b: Uint8Array, bEnd: number): boolean {
  if (aEnd !== bEnd) return false
  for (let i = 1; i < aEnd; i++) if (a[i] !== b[i]) return false
  return true
}
