/**
 * A `jobs` message as the worker runs it: jobs listed in `chunks` are range chunks, in `items` item chunks,
 * with their combiners, and those in `chains` chained chunks with their chain's functions (the executor runs
 * their items; their item counts are noted, since the worker counts jobs in items as the coordinator does);
 * jobs of stages with a side input get `[item, current value]` as their input.
 */
import type { Job } from '../jobs.js'
import { jobFromWire } from '../protocol/job-messages.js'
import type { CoordinatorMessage } from '../protocol/job-messages.js'
import type { SideValues } from '../protocol/side-values.js'
import { withSideValue } from '../protocol/side-values.js'
import { chunkItemCount } from '../run/chunks.js'
import { itemChunkCount } from '../run/item-chunks.js'
import { withChunkFields } from '../protocol/chunk-fields.js'

type JobsMessage = Extract<CoordinatorMessage, { t: 'jobs' }>

/** The message's jobs; `chunkItems` gets each chunk's id → item count. */
export function receivedJobs (message: JobsMessage, sides: SideValues, chunkItems: Map<number, number>): Job[] {
  const jobs = message.jobs.map(jobFromWire)
  const marked = withChunkFields(message.side == null ? jobs : withSides(jobs, message.side, sides), message)
  for (const job of marked) if (job.chunk != null) chunkItems.set(job.id, job.chunk === 'items' ? itemChunkCount(job.input) : chunkItemCount(job.input))
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

/** The modules a message's jobs call (a chained chunk's chain and a chunk's combiners included), each once. */
export function modulesOf (jobs: readonly Job[]): Set<string> {
  const hashes = new Set<string>()
  for (const job of jobs) {
    hashes.add(job.fn.module)
    for (const fn of job.chain ?? []) hashes.add(fn.module)
    for (const c of job.combine ?? []) hashes.add(c.fn.module)
  }
  return hashes
}

/** The first module of `job` (its function, its chain's or its combiners') that could not be loaded, if any. */
export function missingModule (job: Job, failed: ReadonlyMap<string, unknown>): string | undefined {
  if (failed.has(job.fn.module)) return job.fn.module
  return job.chain?.find(fn => failed.has(fn.module))?.module ?? job.combine?.find(c => failed.has(c.fn.module))?.fn.module
}
