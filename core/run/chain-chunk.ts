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
import { PackedScratch } from './packed-scratch.js'
import type { PackedSink } from '../abi/host.js'

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

/**
 * An item as a synchronous call takes it: `len` msgpack bytes of `src` from `at` (a view without a view
 * object: outputs of the stage before sit in its scratch buffer), or, `src` a number, a range item whose
 * msgpack the call writes itself (FunctionInstance.callPacked).
 */
export type TailCall = (src: Uint8Array | number, at: number, len: number) => void
/** A chained stage before the tail: calls its function on the item, its outputs appended to `out`. */
export type StageCall = (src: Uint8Array | number, at: number, len: number, out: PackedSink) => void

interface Failure { readonly stage: number, readonly err: unknown }

/**
 * The chain loop with synchronous calls (ABI v1 instances: a plain loop, no promises): `before` are the
 * stages ahead of the tail, each putting one item's outputs in a scratch buffer (packed-scratch.ts) whose
 * outputs feed the next stage in place; `tail` takes each item the last stage gets and puts its outputs where
 * it wants (the sandbox: straight into the outcome buffer, packed: sandbox.ts). No object per output between
 * stages. Items of a range chunk reach the head as numbers (chunk-view.ts `input`).
 */
export function runChain (chunk: ChunkView, before: readonly StageCall[], tail: TailCall): ChainRun {
  const started = performance.now()
  const emitted = new Array<number>(before.length).fill(0)
  const scratches = before.map(() => new PackedScratch())
  const feed = (k: number, src: Uint8Array | number, at: number, len: number): Failure | undefined => {
    if (k === before.length) {
      try {
        tail(src, at, len)
      } catch (err) {
        return { stage: k, err }
      }
      return undefined
    }
    const out = scratches[k]
    out.reset()
    try {
      before[k](src, at, len, out)
    } catch (err) {
      return { stage: k, err }
    }
    for (let pos = 0; pos < out.length; pos = out.next(pos)) {
      if (out.port(pos) !== 0) return { stage: k, err: wrongPort(out.port(pos)) }
    }
    emitted[k] += out.count
    // the scratch of stage k is rewritten only by stage k's next call, after this walk
    for (let pos = 0; pos < out.length; pos = out.next(pos)) {
      const failed = feed(k + 1, out.bytes, out.start(pos), out.size(pos))
      if (failed != null) return failed
    }
    return undefined
  }
  if (before.length === 0) {
    // an unchained chunk: the tail alone, without the recursion
    for (let i = 0; i < chunk.count; i++) {
      const input = chunk.input(i)
      try {
        if (typeof input === 'number') tail(input, 0, 0)
        else tail(input, 0, input.length)
      } catch (err) {
        return { ok: false, error: chunk.error(i, err), item: i, stage: 0 }
      }
    }
  } else {
    for (let i = 0; i < chunk.count; i++) {
      const input = chunk.input(i)
      const failed = typeof input === 'number' ? feed(0, input, 0, 0) : feed(0, input, 0, input.length)
      if (failed != null) return { ok: false, error: chunk.error(i, failed.err), item: i, stage: failed.stage }
    }
  }
  return { ok: true, ms: performance.now() - started, emitted }
}

/**
 * Runs a chunk with a synchronous call per stage taking msgpack bytes and returning outputs as objects (tests'
 * fake workers, a chunk whose outputs a combiner folds); the tail's outputs come back together.
 */
export function runChainChunk (chunk: ChunkView, calls: ReadonlyArray<(item: Uint8Array) => readonly Emitted[]>): ChainResult {
  const outputs: Emitted[] = []
  const bytes = (src: Uint8Array | number, at: number, len: number): Uint8Array => typeof src === 'number' ? encodeValue(src) : src.subarray(at, at + len)
  const last = calls[calls.length - 1]
  const before = calls.slice(0, -1).map((call): StageCall => (src, at, len, out) => {
    const emitted = call(bytes(src, at, len))
    const wrong = passOn(emitted)
    if (wrong != null) throw wrong
    for (const o of emitted) out.append(o.port, o.bytes, 0, o.bytes.length)
  })
  const run = runChain(chunk, before, (src, at, len) => { for (const o of last(bytes(src, at, len))) outputs.push(o) })
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
    if (o.port !== 0) return wrongPort(o.port)
  }
  return undefined
}

function wrongPort (port: number): OutputLimitError {
  return new OutputLimitError(`emitted on port ${port}, but the stage has 1 output (it is chained: only port 0 goes on)`)
}
