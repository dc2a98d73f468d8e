/**
 * A batch as the pool's caller sees it: one outcome slot per job, each settled exactly once (by its sandbox's
 * answer, a timeout, a crash or a recall, whichever comes first), and the promise resolved when all are.
 */
import type { UnpackedOutcome } from './outcome-buffer.js'
import { chunkOutcome } from '../protocol/packed-outputs.js'
import type { ErrorData, Job, JobOutcome } from '../jobs.js'

export interface BatchState {
  readonly jobs: readonly Job[]
  readonly outcomes: Array<JobOutcome | undefined>
  remaining: number
  settled: boolean
  readonly resolve: (outcomes: JobOutcome[]) => void
  readonly reject: (err: Error) => void
}

/** Jobs of one batch on their way to a sandbox: positions in `batch.jobs`. */
export interface Task {
  readonly batch: BatchState
  readonly positions: readonly number[]
  readonly unblamedCrashes: number
}

export function newBatch (jobs: readonly Job[], resolve: (outcomes: JobOutcome[]) => void, reject: (err: Error) => void): BatchState {
  return { jobs, outcomes: new Array(jobs.length).fill(undefined), remaining: jobs.length, settled: false, resolve, reject }
}

/**
 * The part of `task` still to run: positions settled meanwhile (recalled) are left out, and a task with
 * nothing left is undefined. The same task when nothing was settled (the common case allocates nothing).
 */
export function unsettledPart (task: Task): Task | undefined {
  const { batch } = task
  if (batch.settled) return undefined
  if (batch.remaining === batch.jobs.length) return task
  const positions = task.positions.filter(p => batch.outcomes[p] === undefined)
  return positions.length === 0 ? undefined : { ...task, positions }
}

/** Each returns true when this outcome completed (and resolved) the batch. */
export function fail (batch: BatchState, position: number, error: ErrorData, item?: number): boolean {
  return settle(batch, position, item === undefined ? { id: batch.jobs[position].id, ok: false, error } : { id: batch.jobs[position].id, ok: false, error, item })
}

/**
 * An outcome as the sandbox reported it (outcome-buffer.ts), with whatever a chunk adds (ms, emitted, item,
 * stage); a packed chunk stays packed (its outputs unpack only if someone reads them).
 */
export function settleUnpacked (batch: BatchState, position: number, outcome: UnpackedOutcome): boolean {
  const id = batch.jobs[position].id
  if (outcome.ok && outcome.packed !== undefined) return settle(batch, position, chunkOutcome(id, outcome.packed, outcome.ms, outcome.emitted))
  return settle(batch, position, outcome.ok ? { id, ...outcome } : { id, ...outcome })
}

/** Records the first outcome of a position. */
function settle (batch: BatchState, position: number, outcome: JobOutcome): boolean {
  if (batch.settled || batch.outcomes[position] !== undefined) return false
  batch.outcomes[position] = outcome
  if (--batch.remaining > 0) return false
  batch.settled = true
  batch.resolve(batch.outcomes as JobOutcome[])
  return true
}
