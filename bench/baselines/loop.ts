/** The in-process baseline: the same WASM function called in a plain loop in this process, one thread. */
import type { FunctionInstance } from '../../core/abi/host.js'
import { decodeValue, encodeValue } from '../../core/codec.js'
import { PackedScratch } from '../../core/run/packed-scratch.js'

export interface LoopResult {
  readonly jobs: number
  readonly elapsedMs: number
  readonly jobsPerSec: number
  /** Every output decoded and summed (mod 2^32 for burn), to check the work was done. */
  readonly outputs: number[]
}

/** Calls `fn` on each integer of `inputs` (msgpack-encoded like a range source does), decoding each output. */
export function runLoop (instance: FunctionInstance, fn: string, inputs: Iterable<number>): LoopResult {
  const outputs: number[] = []
  const started = performance.now()
  for (const n of inputs) {
    const out = instance.call(fn, encodeValue(n))
    outputs.push(decodeValue(out[0].bytes) as number)
  }
  const elapsedMs = performance.now() - started
  return { jobs: outputs.length, elapsedMs, jobsPerSec: outputs.length / (elapsedMs / 1000), outputs }
}

export function * range (start: number, end: number): Generator<number> {
  for (let i = start; i < end; i++) yield i
}

/**
 * The same loop on the workers' own inner path (FunctionInstance.callPacked: each integer's msgpack written
 * straight into WASM memory, outputs appended packed, no object per item), over `start`..`end` in pieces of
 * 65,536: the fastest the function runs in one thread here, a reference beside the plain loop. Only the
 * calls are timed; the outputs are decoded and summed afterwards, piece by piece, to check the work.
 */
export function runPackedLoop (instance: FunctionInstance, fn: string, start: number, end: number): { itemsPerSec: number, sum: number } {
  const call = instance.exportFn(fn)
  const out = new PackedScratch()
  let elapsedMs = 0
  let sum = 0
  for (let at = start; at < end; at += 65_536) {
    out.reset()
    const began = performance.now()
    for (let i = at; i < Math.min(end, at + 65_536); i++) instance.callPacked(call, i, 0, 0, out)
    elapsedMs += performance.now() - began
    for (let pos = 0; pos < out.length; pos = out.next(pos)) sum += decodeValue(out.bytes.subarray(out.start(pos), out.start(pos) + out.size(pos))) as number
  }
  return { itemsPerSec: (end - start) / (elapsedMs / 1000), sum }
}
