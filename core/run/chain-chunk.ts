/**
 * A chained chunk on the worker (chain-plan.ts): each item of a range chunk goes through the chain's
 * functions f1 → f2 → … → fn, every output of f_k feeding f_{k+1} in order (depth first, so at most one
 * item's outputs per stage are held), and the tail's outputs come back in item order. Besides them, how many
 * outputs each stage before the tail emitted: the coordinator counts `done` and `emitted` per stage from it.
 * A stage before the tail passes only port 0 on (it has one output port); emitting elsewhere fails the item.
 */
import type { Emitted } from '../abi/abi.js'
import { encodeValue } from '../codec.js'
import { OutputLimitError } from '../errors.js'
import type { ErrorData } from '../jobs.js'
import { decodeRangeChunk, itemError, rangeItem } from './chunks.js'

/** Most stages in one chain: bounds the recursion here and the chain's description on the wire. */
export const MAX_CHAIN_STAGES = 16

export type ChainResult =
  | { readonly ok: true, readonly outputs: Emitted[], readonly ms: number, readonly emitted: number[] }
  /** `item`: the failing item's index in the chunk; `stage`: the chain position (0 = head) it failed in. */
  | { readonly ok: false, readonly error: ErrorData, readonly item: number, readonly stage: number }

interface Failure { readonly stage: number, readonly err: unknown }

/** Runs a chained range chunk with a synchronous call per stage (ABI v1 instances: a plain loop, no promises). */
export function runChainChunk (input: Uint8Array, calls: ReadonlyArray<(item: Uint8Array) => readonly Emitted[]>): ChainResult {
  const started = performance.now()
  const chunk = decodeRangeChunk(input)
  const outputs: Emitted[] = []
  const emitted = new Array<number>(calls.length - 1).fill(0)
  const feed = (k: number, item: Uint8Array): Failure | undefined => {
    let out: readonly Emitted[]
    try {
      out = calls[k](item)
    } catch (err) {
      return { stage: k, err }
    }
    if (k === calls.length - 1) {
      for (const o of out) outputs.push(o)
      return undefined
    }
    const wrong = passOn(out)
    if (wrong != null) return { stage: k, err: wrong }
    emitted[k] += out.length
    for (const o of out) {
      const failed = feed(k + 1, o.bytes)
      if (failed != null) return failed
    }
    return undefined
  }
  for (let i = 0; i < chunk.count; i++) {
    const failed = feed(0, encodeValue(rangeItem(chunk, i)))
    if (failed != null) return { ok: false, error: itemError(chunk, i, failed.err), item: i, stage: failed.stage }
  }
  return { ok: true, outputs, ms: performance.now() - started, emitted }
}

/** The same for functions called asynchronously (WASI commands, JavaScript functions, or a mix). */
export async function runChainChunkAsync (input: Uint8Array, calls: ReadonlyArray<(item: Uint8Array) => Promise<readonly Emitted[]>>): Promise<ChainResult> {
  const started = performance.now()
  const chunk = decodeRangeChunk(input)
  const outputs: Emitted[] = []
  const emitted = new Array<number>(calls.length - 1).fill(0)
  const feed = async (k: number, item: Uint8Array): Promise<Failure | undefined> => {
    let out: readonly Emitted[]
    try {
      out = await calls[k](item)
    } catch (err) {
      return { stage: k, err }
    }
    if (k === calls.length - 1) {
      for (const o of out) outputs.push(o)
      return undefined
    }
    const wrong = passOn(out)
    if (wrong != null) return { stage: k, err: wrong }
    emitted[k] += out.length
    for (const o of out) {
      const failed = await feed(k + 1, o.bytes)
      if (failed != null) return failed
    }
    return undefined
  }
  for (let i = 0; i < chunk.count; i++) {
    const failed = await feed(0, encodeValue(rangeItem(chunk, i)))
    if (failed != null) return { ok: false, error: itemError(chunk, i, failed.err), item: i, stage: failed.stage }
  }
  return { ok: true, outputs, ms: performance.now() - started, emitted }
}

/** A stage before a chain's tail has one output port: an output elsewhere is the error a lone job gets. */
function passOn (outputs: readonly Emitted[]): OutputLimitError | undefined {
  for (const o of outputs) {
    if (o.port !== 0) return new OutputLimitError(`emitted on port ${o.port}, but the stage has 1 output (it is chained: only port 0 goes on)`)
  }
  return undefined
}
