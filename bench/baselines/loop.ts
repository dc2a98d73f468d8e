/** The in-process baseline: the same WASM function called in a plain loop in this process, one thread. */
import type { FunctionInstance } from '../../core/abi/host.js'
import { decodeValue, encodeValue } from '../../core/codec.js'

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
