/**
 * A chunk on the worker, chained or not (chain-plan.ts): each item of the chunk (chunk-view.ts: a range's, or
 * items carried in the input; chains start from ranges only) goes through the chain's functions f1 → f2 → … → fn, every output of f_k feeding f_{k+1} in order (depth first, so at most one
 * item's outputs per stage are held), and the tail's outputs come back in item order. Besides them, how many
 * outputs each stage before the tail emitted: the coordinator counts `done` and `emitted` per stage from it.
 * A stage before the tail passes only port 0 on (it has one output port); emitting elsewhere fails the item.
 * An unchained chunk is a chain of one: the same loop, no emitted counts.
 */
import type { Emitted } from '../abi/abi.js'
import { encodeValue } from '../codec.js'
import { OutputLimitError } from '../errors.js'
import type { ErrorData } from '../jobs.js'
import type { ChunkView } from './chunk-view.js'

/** Most stages in one chain: bounds the recursion here and the chain's description on the wire. */
export const MAX_CHAIN_STAGES = 16

export type ChainResult =
  | { readonly ok: true, readonly outputs: Emitted[], readonly ms: number, readonly emitted: number[] }
  /** `item`: the failing item's index in the chunk; `stage`: the chain position (0 = head) it failed in. */
  | { readonly ok: false, readonly error: ErrorData, readonly item: number, readonly stage: number }

/** runChain's result: the tail's outputs are wherever its call put them. */
export type ChainRun =
  | { readonly ok: true, readonly ms: number, readonly emitted: number[] }
  | { readonly ok: false, readonly error: ErrorData, readonly item: number, readonly stage: number }

/** An item as a synchronous call takes it: msgpack bytes, or a range item's number (the call encodes it). */
export type ChainInput = Uint8Array | number

interface Failure { readonly stage: number, readonly err: unknown }

/**
 * The chain loop with synchronous calls (ABI v1 instances: a plain loop, no promises): `before` are the
 * stages ahead of the tail, whose outputs feed the next stage; `tail` takes each item the last stage gets and
 * puts its outputs where it wants (the sandbox: straight into the outcome buffer, packed: sandbox.ts). Items
 * of a range chunk reach the head as numbers (chunk-view.ts `input`).
 */
export function runChain (chunk: ChunkView, before: ReadonlyArray<(item: ChainInput) => readonly Emitted[]>, tail: (item: ChainInput) => void): ChainRun {
  const started = performance.now()
  const emitted = new Array<number>(before.length).fill(0)
  const feed = (k: number, item: ChainInput): Failure | undefined => {
    if (k === before.length) {
      try {
        tail(item)
      } catch (err) {
        return { stage: k, err }
      }
      return undefined
    }
    let out: readonly Emitted[]
    try {
      out = before[k](item)
    } catch (err) {
      return { stage: k, err }
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
  if (before.length === 0) {
    // an unchained chunk: the tail alone, without the recursion
    for (let i = 0; i < chunk.count; i++) {
      try {
        tail(chunk.input(i))
      } catch (err) {
        return { ok: false, error: chunk.error(i, err), item: i, stage: 0 }
      }
    }
  } else {
    for (let i = 0; i < chunk.count; i++) {
      const failed = feed(0, chunk.input(i))
      if (failed != null) return { ok: false, error: chunk.error(i, failed.err), item: i, stage: failed.stage }
    }
  }
  return { ok: true, ms: performance.now() - started, emitted }
}

/** Runs a chunk with a synchronous call per stage taking msgpack bytes; the tail's outputs come back together. */
export function runChainChunk (chunk: ChunkView, calls: ReadonlyArray<(item: Uint8Array) => readonly Emitted[]>): ChainResult {
  const outputs: Emitted[] = []
  const bytes = (call: (item: Uint8Array) => readonly Emitted[]) => (item: ChainInput) => call(typeof item === 'number' ? encodeValue(item) : item)
  const last = bytes(calls[calls.length - 1])
  const run = runChain(chunk, calls.slice(0, -1).map(bytes), item => { for (const o of last(item)) outputs.push(o) })
  return run.ok ? { ...run, outputs } : run
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
