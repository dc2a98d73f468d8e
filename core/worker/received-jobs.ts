/**
 * A `jobs` message as the worker runs it: jobs listed in `chunks` are range chunks, in `items` item chunks,
 * with their combiners (the executor runs their items; their item counts are noted, since the worker counts
 * jobs in items as the coordinator does), and
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

/** The modules a job needs: its function's and its combiners' (a chunk's outputs folded on the worker). */
export const modulesOf = (job: Job): string[] => job.combine == null ? [job.fn.module] : [job.fn.module, ...job.combine.map(c => c.fn.module)]
