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
import { packArray } from '../util/msgpack-bytes.js'
import { skipValue } from '../util/msgpack-skip.js'

/** Values per combine call at most (a key's values beyond are folded in further calls with the partial). */
export const COMBINE_GROUP = 4096

/** Calls a function on an input (the sandbox's call: ABI v1, WASI or JavaScript). */
export type CombineCall = (fn: FunctionRef, input: Uint8Array) => readonly Emitted[] | Promise<readonly Emitted[]>

interface Group {
  /** The first pair of the key as emitted (sent unchanged when the key has one value). */
  readonly first: Uint8Array
  readonly key: Uint8Array
  readonly values: Uint8Array[]
}

/**
 * The chunk's outputs with the pairs on each combined port folded to one per key (after the outputs of other
 * ports, which keep their order), or `outputs` itself when any of it does not combine cleanly.
 */
export async function combineOutputs (outputs: readonly Emitted[], combiners: readonly JobCombiner[], call: CombineCall): Promise<readonly Emitted[]> {
  const byPort = new Map<number, { readonly fn: FunctionRef, readonly groups: Map<string, Group> }>()
  for (const c of combiners) byPort.set(c.port, { fn: c.fn, groups: new Map() })
  const result: Emitted[] = []
  for (const output of outputs) {
    const target = byPort.get(output.port)
    if (target == null) {
      result.push(output)
      continue
    }
    const pair = splitPair(output.bytes)
    if (pair == null) return outputs
    const id = bytesKey(pair.key)
    const group = target.groups.get(id)
    if (group == null) target.groups.set(id, { first: output.bytes, key: pair.key, values: [pair.value] })
    else group.values.push(pair.value)
  }
  try {
    for (const [port, { fn, groups }] of byPort) {
      for (const group of groups.values()) {
        if (group.values.length === 1) {
          result.push({ port, bytes: group.first })
          continue
        }
        const values = group.values
        while (values.length > 1) {
          const emitted = await call(fn, packArray(values.splice(0, COMBINE_GROUP)))
          if (emitted.length !== 1 || emitted[0].port !== 0) return outputs
          values.push(emitted[0].bytes)
        }
        result.push({ port, bytes: packArray([group.key, values[0]]) })
      }
    }
  } catch {
    return outputs
  }
  return result
}

/** A msgpack pair's key and value as slices of `bytes`, or undefined when it is not exactly a 2-array. */
function splitPair (bytes: Uint8Array): { key: Uint8Array, value: Uint8Array } | undefined {
  if (bytes[0] !== 0x92) return undefined
  const keyEnd = skipValue(bytes, 1)
  if (keyEnd < 0) return undefined
  const end = skipValue(bytes, keyEnd)
  if (end !== bytes.length) return undefined
  return { key: bytes.subarray(1, keyEnd), value: bytes.subarray(keyEnd, end) }
}

/** A string that is equal for equal bytes (one UTF-16 unit per byte). */
function bytesKey (bytes: Uint8Array): string {
  if (bytes.length <= 1024) return String.fromCharCode.apply(null, bytes as unknown as number[])
  let s = ''
  for (let at = 0; at < bytes.length; at += 1024) s += String.fromCharCode.apply(null, bytes.subarray(at, at + 1024) as unknown as number[])
  return s
}
