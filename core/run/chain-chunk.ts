/**
 * A chunk on the worker, chained or not (chain-plan.ts): each item of the chunk (chunk-view.ts: a range's, or
 * items carried in the input; chains start from ranges only) goes through the chain's functions f1 → f2 → … → fn, every output of f_k feeding f_{k+1} in order (depth first, so at most one
 * item's outputs per stage are held), and the tail's outputs come back in item order. Besides them, how many
 * outputs each stage before the tail emitted: the coordinator counts `done` and `emitted` per stage from it.
 * A stage before the tail passes only port 0 on (it has one output port); emitting elsewhere fails the item.
 * An unchained chunk is a chain of one: the same loop, no emitted counts.
 */
import type { Emitted } from '../abi/abi.js'
import { OutputLimitError } from '../errors.js'
import type { ErrorData } from '../jobs.js'
import type { ChunkView } from './chunk-view.js'

/** Most stages in one chain: bounds the recursion here and the chain's description on the wire. */
export const MAX_CHAIN_STAGES = 16

export type ChainResult =
  | { readonly ok: true, readonly outputs: Emitted[], readonly ms: number, readonly emitted: number[] }
  /** `item`: the failing item's index in the chunk; `stage`: the chain position (0 = head) it failed in. */
  | { readonly ok: false, readonly error: ErrorData, readonly item: number, readonly stage: number }

interface Failure { readonly stage: number, readonly err: unknown }

/** Runs a chunk with a synchronous call per stage (ABI v1 instances: a plain loop, no promises). */
export function runChainChunk (chunk: ChunkView, calls: ReadonlyArray<(item: Uint8Array) => readonly Emitted[]>): ChainResult {
  const started = performance.now()
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
    const failed = feed(0, chunk.item(i))
    if (failed != null) return { ok: false, error: chunk.error(i, failed.err), item: i, stage: failed.stage }
  }
  return { ok: true, outputs, ms: performance.now() - started, emitted }
}

/** The same for functions called asynchronously (WASI commands, JavaScript functions, or a mix). */
export async function runChainChunkAsync (chunk: ChunkView, calls: ReadonlyArray<(item: Uint8Array) => Promise<readonly Emitted[]>>): Promise<ChainResult> {
  const started = performance.now()
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
    const failed = await feed(0, chunk.item(i))
    if (failed != null) return { ok: false, error: chunk.error(i, failed.err), item: i, stage: failed.stage }
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
