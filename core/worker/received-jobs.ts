/**
 * A `jobs` message as the worker runs it: jobs listed in `chunks` are range chunks (the executor expands
 * them; their item counts are noted, since the worker counts jobs in items as the coordinator does), those
 * also listed in `chains` chained chunks (with their chain's functions), and jobs of stages with a side input get
 * `[item, current value]` as their input.
 */
import type { FunctionRef, Job } from '../jobs.js'
import { fnFromWire, jobFromWire } from '../protocol/job-messages.js'
import type { CoordinatorMessage, WireFn } from '../protocol/job-messages.js'
import type { SideValues } from '../protocol/side-values.js'
import { withSideValue } from '../protocol/side-values.js'
import { chunkItemCount } from '../run/chunks.js'

type JobsMessage = Extract<CoordinatorMessage, { t: 'jobs' }>

/** The message's jobs; `chunkItems` gets each chunk's id → item count. */
export function receivedJobs (message: JobsMessage, sides: SideValues, chunkItems: Map<number, number>): Job[] {
  const jobs = message.jobs.map(jobFromWire)
  const sided = message.side == null ? jobs : withSides(jobs, message.side, sides)
  if (message.chunks == null) return sided
  const marked = markChunks(sided, message.chunks, message.chains)
  for (const job of marked) if (job.chunk != null) chunkItems.set(job.id, chunkItemCount(job.input))
  return marked
}

function withSides (jobs: Job[], side: ReadonlyArray<[string, number[]]>, sides: SideValues): Job[] {
  const nameOf = new Map<number, string>()
  for (const [name, ids] of side) for (const id of ids) nameOf.set(id, name)
  return jobs.map(job => {
    const name = nameOf.get(job.id)
    return name == null ? job : { ...job, input: withSideValue(job.input, sides.get(name)?.bytes), side: name }
  })
}

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
