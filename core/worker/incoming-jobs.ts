/**
 * What a worker makes of a `jobs` message beyond the job tuples: which jobs are range chunks, which of those
 * are chained (with the functions of their chain), and which modules they need.
 */
import type { FunctionRef, Job } from '../jobs.js'
import { fnFromWire } from '../protocol/job-messages.js'
import type { WireFn } from '../protocol/job-messages.js'

/** Jobs listed in `chunks` become range chunks; those also listed in `chains` carry their chain's functions. */
export function markChunks (jobs: readonly Job[], chunks: readonly number[], chains: ReadonlyArray<[WireFn[], number[]]> | undefined): Job[] {
  const ids = new Set(chunks)
  let chainOf: Map<number, readonly FunctionRef[]> | undefined
  for (const [fns, jobIds] of chains ?? []) {
    // one array per chain: the executor packs each distinct chain once per batch
    const chain = fns.map(fnFromWire)
    for (const id of jobIds) (chainOf ??= new Map()).set(id, chain)
  }
  return jobs.map(job => {
    if (!ids.has(job.id)) return job
    const chain = chainOf?.get(job.id)
    return chain == null ? { ...job, chunk: 'range' as const } : { ...job, chunk: 'range' as const, chain }
  })
}

/** The modules a message's jobs call (a chained chunk's chain included), each once. */
export function modulesOf (jobs: readonly Job[]): Set<string> {
  const hashes = new Set<string>()
  for (const job of jobs) {
    hashes.add(job.fn.module)
    for (const fn of job.chain ?? []) hashes.add(fn.module)
  }
  return hashes
}

/** The first module of `job` (its function or one of its chain's) that could not be loaded, if any. */
export function missingModule (job: Job, failed: ReadonlyMap<string, unknown>): string | undefined {
  if (failed.has(job.fn.module)) return job.fn.module
  return job.chain?.find(fn => failed.has(fn.module))?.module
}
