/**
 * A `jobs` message as the worker runs it: jobs listed in `chunks` are range chunks (the executor expands
 * them; their item counts are noted, since the worker counts jobs in items as the coordinator does), and
 * jobs of stages with a side input get `[item, current value]` as their input.
 */
import type { Job } from '../jobs.js'
import { jobFromWire } from '../protocol/job-messages.js'
import type { CoordinatorMessage } from '../protocol/job-messages.js'
import type { SideValues } from '../protocol/side-values.js'
import { withSideValue } from '../protocol/side-values.js'
import { chunkItemCount } from '../run/chunks.js'

type JobsMessage = Extract<CoordinatorMessage, { t: 'jobs' }>

/** The message's jobs; `chunkItems` gets each chunk's id → item count. */
export function receivedJobs (message: JobsMessage, sides: SideValues, chunkItems: Map<number, number>): Job[] {
  const jobs = message.jobs.map(jobFromWire)
  return withChunks(message.side == null ? jobs : withSides(jobs, message.side, sides), message.chunks, chunkItems)
}

function withChunks (jobs: Job[], chunks: readonly number[] | undefined, chunkItems: Map<number, number>): Job[] {
  if (chunks == null) return jobs
  const ids = new Set(chunks)
  return jobs.map(job => {
    if (!ids.has(job.id)) return job
    chunkItems.set(job.id, chunkItemCount(job.input))
    return { ...job, chunk: 'range' as const }
  })
}

function withSides (jobs: Job[], side: ReadonlyArray<[string, number[]]>, sides: SideValues): Job[] {
  const nameOf = new Map<number, string>()
  for (const [name, ids] of side) for (const id of ids) nameOf.set(id, name)
  return jobs.map(job => {
    const name = nameOf.get(job.id)
    return name == null ? job : { ...job, input: withSideValue(job.input, sides.get(name)?.bytes), side: name }
  })
}
