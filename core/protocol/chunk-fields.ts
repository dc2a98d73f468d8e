/**
 * The chunk fields of a `jobs` message (job-messages.ts): which jobs are range chunks (`chunks`), which are
 * item chunks (`items`), which chunks' outputs the worker combines with which function (`combine`), and
 * which range chunks run chained, with their chain's functions (`chains`). Jobs keep the 5-tuple older peers
 * know; these lists say what kind each is.
 */
import type { FunctionRef, Job, JobCombiner } from '../jobs.js'
import { fnFromWire, fnToWire } from './job-messages.js'
import type { CoordinatorMessage, WireCombine, WireFn } from './job-messages.js'

export interface ChunkFields {
  chunks?: number[]
  items?: number[]
  combine?: WireCombine[]
  chains?: Array<[WireFn[], number[]]>
}

/** The chunk fields for `jobs`, or undefined when none is a chunk (no allocation for plain messages). */
export function chunkFieldsOf (jobs: readonly Job[]): ChunkFields | undefined {
  let fields: ChunkFields | undefined
  let byCombiner: Map<string, WireCombine> | undefined
  // a run's chain is one array, so its jobs share it: each chain listed once with its jobs
  let byChain: Map<readonly FunctionRef[], number[]> | undefined
  for (const job of jobs) {
    if (job.chunk == null) continue
    fields ??= {}
    if (job.chain != null) {
      const ids = (byChain ??= new Map()).get(job.chain)
      if (ids == null) byChain.set(job.chain, [job.id])
      else ids.push(job.id)
    }
    if (job.chunk === 'items') (fields.items ??= []).push(job.id)
    else (fields.chunks ??= []).push(job.id)
    for (const { port, fn } of job.combine ?? []) {
      const key = `${port}\0${fn.module}\0${fn.export}\0${fn.wasi ?? ''}\0${fn.js === true ? 'js' : ''}`
      let wire = (byCombiner ??= new Map()).get(key)
      if (wire == null) {
        wire = [[], port, ...fnToWire(fn)]
        byCombiner.set(key, wire)
        ;(fields.combine ??= []).push(wire)
      }
      wire[0].push(job.id)
    }
  }
  if (byChain != null) fields!.chains = [...byChain].map(([chain, ids]) => [chain.map(fnToWire), ids])
  return fields
}

/** Marks the message's jobs with their chunk kind, combiners and chains (as the coordinator's jobs were). */
export function withChunkFields (jobs: Job[], message: Extract<CoordinatorMessage, { t: 'jobs' }>): Job[] {
  const { chunks, items, combine, chains } = message
  if (chunks == null && items == null) return jobs
  const kinds = new Map<number, 'range' | 'items'>()
  for (const id of chunks ?? []) kinds.set(id, 'range')
  for (const id of items ?? []) kinds.set(id, 'items')
  const combiners = new Map<number, JobCombiner[]>()
  for (const [ids, port, module, exportName, kind] of combine ?? []) {
    const fn: FunctionRef = fnFromWire(kind === undefined ? [module, exportName] : [module, exportName, kind])
    for (const id of ids) {
      let list = combiners.get(id)
      if (list == null) combiners.set(id, list = [])
      list.push({ port, fn })
    }
  }
  let chainOf: Map<number, readonly FunctionRef[]> | undefined
  for (const [fns, ids] of chains ?? []) {
    // one array per chain: the executor packs each distinct chain once per batch
    const chain = fns.map(fnFromWire)
    for (const id of ids) (chainOf ??= new Map()).set(id, chain)
  }
  return jobs.map(job => {
    const chunk = kinds.get(job.id)
    if (chunk == null) return job
    const combine = combiners.get(job.id)
    // chains start from range chunks only (core/run/chain-plan.ts)
    const chain = chunk === 'range' ? chainOf?.get(job.id) : undefined
    return { ...job, chunk, ...(combine != null ? { combine } : {}), ...(chain != null ? { chain } : {}) }
  })
}
