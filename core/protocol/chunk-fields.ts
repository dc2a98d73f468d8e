/**
 * The chunk fields of a `jobs` message (job-messages.ts): which jobs are range chunks (`chunks`), which are
 * item chunks (`items`), and which chunks' outputs the worker combines with which function (`combine`).
 * Jobs keep the 5-tuple older peers know; these lists say what kind each is.
 */
import type { FunctionRef, Job, JobCombiner } from '../jobs.js'
import { JS_KIND } from './job-messages.js'
import type { CoordinatorMessage, WireCombine } from './job-messages.js'

export interface ChunkFields {
  chunks?: number[]
  items?: number[]
  combine?: WireCombine[]
}

/** The chunk fields for `jobs`, or undefined when none is a chunk (no allocation for plain messages). */
export function chunkFieldsOf (jobs: readonly Job[]): ChunkFields | undefined {
  let fields: ChunkFields | undefined
  let byCombiner: Map<string, WireCombine> | undefined
  for (const job of jobs) {
    if (job.chunk == null) continue
    fields ??= {}
    if (job.chunk === 'items') (fields.items ??= []).push(job.id)
    else (fields.chunks ??= []).push(job.id)
    for (const { port, fn } of job.combine ?? []) {
      const key = `${port}\0${fn.module}\0${fn.export}\0${fn.wasi ?? ''}\0${fn.js === true ? 'js' : ''}`
      let wire = (byCombiner ??= new Map()).get(key)
      if (wire == null) {
        wire = [[], port, fn.module, fn.export]
        if (fn.wasi !== undefined) wire.push(fn.wasi)
        else if (fn.js === true) wire.push(JS_KIND)
        byCombiner.set(key, wire)
        ;(fields.combine ??= []).push(wire)
      }
      wire[0].push(job.id)
    }
  }
  return fields
}

/** Marks the message's jobs with their chunk kind and combiners (as the coordinator's jobs were). */
export function withChunkFields (jobs: Job[], message: Extract<CoordinatorMessage, { t: 'jobs' }>): Job[] {
  const { chunks, items, combine } = message
  if (chunks == null && items == null) return jobs
  const kinds = new Map<number, 'range' | 'items'>()
  for (const id of chunks ?? []) kinds.set(id, 'range')
  for (const id of items ?? []) kinds.set(id, 'items')
  const combiners = new Map<number, JobCombiner[]>()
  for (const [ids, port, module, exportName, kind] of combine ?? []) {
    const fn: FunctionRef = kind === JS_KIND ? { module, export: exportName, js: true } : kind === undefined ? { module, export: exportName } : { module, export: exportName, wasi: kind }
    for (const id of ids) {
      let list = combiners.get(id)
      if (list == null) combiners.set(id, list = [])
      list.push({ port, fn })
    }
  }
  return jobs.map(job => {
    const chunk = kinds.get(job.id)
    if (chunk == null) return job
    const combine = combiners.get(job.id)
    return combine == null ? { ...job, chunk } : { ...job, chunk, combine }
  })
}
