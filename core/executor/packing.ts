/**
 * The packing of a batch into ONE transferable ArrayBuffer each way. A batch is many small Uint8Arrays;
 * cloning an array of arrays costs a structured-clone walk per item, while one transferred buffer costs a
 * pointer handover.
 *
 * Job buffer (pool → sandbox), little-endian u32 words, then bytes:
 *   [count] then per job [fnIndex, inputOffset, inputLength, chain], then the input bytes (offsets from buffer start).
 *   fnIndex has its top bit set for a range chunk (core/run/chunks.ts): the input is `[start, count, step]`;
 *   the next bit for an item chunk (core/run/item-chunks.ts): the input holds the items, packed. A chunk's
 *   combiners (core/run/combiner.ts) travel with its function in the table (`BatchFn`).
 *   chain: 0, or 1 + the index of the job's chain (the function indexes after fnIndex) in the batch's `chains`.
 * The outcome buffer (sandbox → pool) is outcome-buffer.ts.
 */
import type { FunctionRef, Job, JobCombiner } from '../jobs.js'

/** A function of a batch's table: a chunk's combiners come with it (chunks of one stage share them). */
export type BatchFn = FunctionRef & { readonly combine?: readonly JobCombiner[] }

/** The reference alone (a job's `fn` may carry more): ABI v1 jobs keep their old shape. */
function copyRef (fn: FunctionRef): FunctionRef {
  if (fn.wasi !== undefined) return { module: fn.module, export: fn.export, wasi: fn.wasi }
  if (fn.js === true) return { module: fn.module, export: fn.export, js: true }
  return { module: fn.module, export: fn.export }
}

/** Words per job in the job buffer's header. */
const JOB_WORDS = 4

/**
 * Packs jobs into one buffer; returns it with the function table it refers to and the chains of chained
 * chunks (function indexes; absent when the batch has none).
 */
export function packJobs (jobs: readonly Job[]): { fns: BatchFn[], jobs: ArrayBuffer, chains?: number[][] } {
  const fns: BatchFn[] = []
  // module hash → export (and WASI io mode) → index; no string building per job (batches usually call one function)
  const fnIndex = new Map<string, Map<string, number>>()
  const indexOf = (fn: FunctionRef, combine?: readonly JobCombiner[]): number => {
    let exports = fnIndex.get(fn.module)
    if (exports === undefined) fnIndex.set(fn.module, exports = new Map())
    const key = (fn.wasi !== undefined ? `${fn.export}\0${fn.wasi}` : fn.js === true ? `${fn.export}\0js` : fn.export) + (combine != null ? combineKey(combine) : '')
    let index = exports.get(key)
    if (index === undefined) {
      index = fns.length
      exports.set(key, index)
      fns.push(combine != null ? { ...copyRef(fn), combine: combine.map(c => ({ port: c.port, fn: copyRef(c.fn) })) } : copyRef(fn))
    }
    return index
  }
  const indexes = new Uint32Array(jobs.length)
  // a message's chained chunks share one chain array: one entry per distinct array
  let chains: number[][] | undefined
  let chainIndex: Map<readonly FunctionRef[], number> | undefined
  const chainOf = new Uint32Array(jobs.length)
  let last: FunctionRef | undefined
  let lastCombine: Job['combine']
  let lastIndex = 0
  let bytes = 0
  for (let i = 0; i < jobs.length; i++) {
    const { fn, input, combine, chain } = jobs[i]
    if (last === undefined || fn.module !== last.module || fn.export !== last.export || fn.wasi !== last.wasi || fn.js !== last.js || combine !== lastCombine) {
      lastIndex = indexOf(fn, combine)
      last = fn
      lastCombine = combine
    }
    indexes[i] = lastIndex
    if (chain !== undefined && jobs[i].chunk === 'range') {
      chainIndex ??= new Map()
      let c = chainIndex.get(chain)
      if (c === undefined) {
        c = (chains ??= []).length
        chainIndex.set(chain, c)
        chains.push(chain.map(f => indexOf(f)))
      }
      chainOf[i] = c + 1
    }
    bytes += input.length
  }
  const headerBytes = 4 * (1 + JOB_WORDS * jobs.length)
  const buffer = new ArrayBuffer(headerBytes + bytes)
  const words = new Uint32Array(buffer, 0, 1 + JOB_WORDS * jobs.length)
  const data = new Uint8Array(buffer)
  words[0] = jobs.length
  let offset = headerBytes
  for (let i = 0; i < jobs.length; i++) {
    const input = jobs[i].input
    const at = 1 + JOB_WORDS * i
    const chunk = jobs[i].chunk
    words[at] = chunk === 'range' ? (indexes[i] | CHUNK_BIT) >>> 0 : chunk === 'items' ? (indexes[i] | ITEMS_BIT) >>> 0 : indexes[i]
    words[at + 1] = offset
    words[at + 2] = input.length
    words[at + 3] = chainOf[i]
    data.set(input, offset)
    offset += input.length
  }
  return chains === undefined ? { fns, jobs: buffer } : { fns, jobs: buffer, chains }
}

const CHUNK_BIT = 0x80000000
const ITEMS_BIT = 0x40000000

/** A table key for a chunk's combiners. */
function combineKey (combine: readonly JobCombiner[]): string {
  return combine.map(c => `\0${c.port}\0${c.fn.module}\0${c.fn.export}\0${c.fn.wasi ?? ''}${c.fn.js === true ? 'js' : ''}`).join('')
}

export interface PackedJob {
  readonly fn: number
  readonly input: Uint8Array
  /** A range chunk (`input` is `[start, count, step]`) or an item chunk (`input` holds the items, packed). */
  readonly chunk: 'range' | 'items' | undefined
  /** A chained chunk: 1 + the index of its chain in the batch's `chains`; 0 otherwise. */
  readonly chain: number
}

/** Reads a job buffer; inputs are views into it (no copies). */
export function unpackJobs (buffer: ArrayBuffer): PackedJob[] {
  const count = new Uint32Array(buffer, 0, 1)[0]
  const words = new Uint32Array(buffer, 0, 1 + JOB_WORDS * count)
  const jobs: PackedJob[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const at = 1 + JOB_WORDS * i
    const fn = words[at]
    const chunk = fn >= CHUNK_BIT ? 'range' : (fn & ITEMS_BIT) !== 0 ? 'items' : undefined
    jobs[i] = { fn: (fn & ~(CHUNK_BIT | ITEMS_BIT)) >>> 0, input: new Uint8Array(buffer, words[at + 1], words[at + 2]), chunk, chain: words[at + 3] }
  }
  return jobs
}
