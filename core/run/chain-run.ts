/**
 * The coordinator's side of chained stages (chain-plan.ts): a chain's head hands its range chunks out with
 * the chain's functions, and a chained chunk's outcome is applied to every stage of the chain. The stages
 * after the head keep their own StageState (counts, and a queue for items that reach them one by one, e.g.
 * the outputs of a lone head job), but chunk work runs through the whole chain in one job.
 *
 * Counts stay per stage: the head's `done` is the chunk's items, each later stage's `done` is what the stage
 * before it emitted (the worker reports those counts), and the tail's outputs are routed as the tail's own.
 * A failing item fails in one stage: its attempt counts against that stage's `retries` and the run's failure
 * names that stage; the item is retried alone, as a chained chunk of one item, while the items before and
 * after it go back as two chained chunks (as for any chunk, router.ts `failChunkItem`).
 */
import { encodeValue } from '../codec.js'
import { errorToData, OutputLimitError } from '../errors.js'
import type { ErrorData, FunctionRef, JobOutcome } from '../jobs.js'
import { observeChunk } from './chunk-plan.js'
import { isRangeChunk, rangeItem } from './chunks.js'
import { rangeWork, splitAtItem } from './chunk-split.js'
import type { RangeChunk } from './chunks.js'
import type { Produced, Router, SinkDelivery } from './router.js'
import { countOnPorts } from '../protocol/packed-outputs.js'
import type { RunStatus } from './run-status.js'
import type { OutJob, StageState, Work } from './stage-state.js'

/** What a chain's head holds: the chain's stages and what its chunk jobs carry. */
export interface ChainState {
  /** Every stage of the chain, head first. */
  readonly stages: readonly StageState[]
  /** The functions after the head's, in order: one array for every job of the chain (the wire lists it once). */
  readonly fns: readonly FunctionRef[]
  /** A chained chunk's time limit: the chain's per-stage limits added up (one item may go through all). */
  readonly timeoutMs: number
}

/** Builds each chain's state and hangs it on its head. */
export function attachChains (chains: ReadonlyArray<readonly string[]>, stages: ReadonlyMap<string, StageState>): void {
  for (const names of chains) {
    const members = names.map(name => stages.get(name)!)
    const chain: ChainState = {
      stages: members,
      fns: members.slice(1).map(s => s.fn),
      timeoutMs: members.reduce((sum, s) => sum + s.spec.timeoutMs, 0)
    }
    members[0].chain = chain
  }
}

export interface ChainOutcomeInit {
  readonly router: Router
  readonly status: RunStatus
  readonly perWorker: Map<string, number>
}

/** A chained chunk's outcome: counted and routed per stage of its chain, or its failing item handled. */
export function completeChainChunk (init: ChainOutcomeInit, record: OutJob, outcome: JobOutcome, deliveries: SinkDelivery[]): void {
  const chunk = record.work.chunk!
  if (!outcome.ok) {
    if (outcome.item != null && outcome.item < chunk.count) failChainItem(init, record, outcome.item, outcome.stage ?? 0, outcome.error)
    // the whole chunk failed (its time limit, a lost sandbox, a missing module): no stage to blame, so the
    // attempt counts against the head and the chunk goes back whole
    else failChainAttempt(init, record.stage, record.work, undefined, record.worker, outcome.error)
    return
  }
  if (applyChainOutputs(init, record, outcome, outcome.emitted, deliveries) && outcome.ms != null) {
    // the head's sizer learns the cost of an item through the whole chain
    observeChunk(record.stage, chunk.count, outcome.ms, outcome)
  }
}

/**
 * A chained chunk succeeded: counts every stage of the chain, then routes the tail's outputs. Returns false
 * (after failing the attempt against the tail) when the tail emitted on a port it does not have, or the
 * worker's counts do not fit the chain.
 */
export function applyChainOutputs (init: ChainOutcomeInit, record: OutJob, produced: Produced, emitted: readonly number[] | undefined, deliveries: SinkDelivery[]): boolean {
  const { stage: head, work, worker } = record
  const chain = head.chain!
  const tail = chain.stages[chain.stages.length - 1]
  const chunk = work.chunk!
  if (emitted == null || emitted.length !== chain.stages.length - 1) {
    failChainAttempt(init, head, work, chain.stages.length - 1, worker, errorToData(new OutputLimitError(`the worker reported ${emitted?.length ?? 'no'} stage counts for a chain of ${chain.stages.length} stages (${chainName(chain)})`)))
    return false
  }
  // packed outputs are checked in place; others one by one
  const fits = produced.packed != null && countOnPorts(produced.packed, tail.portStreams.length) >= 0
  for (const output of fits ? [] : produced.outputs) {
    if (output.port < 0 || output.port >= tail.portStreams.length) {
      failChainAttempt(init, head, work, chain.stages.length - 1, worker, errorToData(new OutputLimitError(`emitted on port ${output.port}, but stage "${tail.spec.name}" has ${tail.portStreams.length} output(s): ${tail.spec.outputs.join(', ')}`)))
      return false
    }
  }
  let items = chunk.count
  for (let k = 0; k < chain.stages.length - 1; k++) {
    const stage = chain.stages[k]
    stage.counts.done += items
    stage.counts.emitted += emitted[k]
    items = emitted[k]
  }
  tail.counts.done += items
  // the tail's outputs go on as a job's do (counted in `emitted`, routed in order); a chained chunk is not
  // journaled (router.ts: the tail has no range of its own)
  init.router.accept(tail, work, produced, worker, deliveries)
  init.perWorker.set(worker, (init.perWorker.get(worker) ?? 0) + chunk.count)
  return true
}

/**
 * Item `index` of a chained chunk failed in the chain's stage `position`: the items before and after it go
 * back to the head as two chained chunks, and the item alone counts the attempt against that stage.
 */
export function failChainItem (init: ChainOutcomeInit, record: OutJob, index: number, position: number, error: ErrorData): void {
  const { stage: head, work, worker } = record
  const chunk = work.chunk as RangeChunk
  const { rest } = splitAtItem(work, index)
  // back to the front: the later chunk first, so the earlier one runs first
  for (let i = rest.length - 1; i >= 0; i--) head.queue.putBack(rest[i], worker)
  // the item alone stays a chained chunk: it runs through the whole chain again
  const item = rangeWork({ start: rangeItem(chunk, index), count: 1, step: chunk.step }, work.attempts)
  failChainAttempt(init, head, item, position, worker, error)
}

/**
 * A failed attempt of chained work, in the chain's stage `position` (undefined: the whole chunk, no stage to
 * blame): counted against that stage's `retries` (the head's when unknown; the work goes back to the head's
 * queue), or the run fails naming that stage.
 */
function failChainAttempt (init: ChainOutcomeInit, head: StageState, work: Work, position: number | undefined, worker: string, error: ErrorData): void {
  const chain = head.chain!
  const stage = chain.stages[Math.min(position ?? 0, chain.stages.length - 1)]
  work.attempts++
  if (work.attempts <= stage.spec.retries) {
    stage.counts.retried++
    head.queue.putBack(work, worker)
    return
  }
  stage.counts.failed++
  const where = position == null ? `in the chain ${chainName(chain)} (the whole chunk)` : `in stage "${stage.spec.name}" of the chain ${chainName(chain)}`
  // a lone item is named by its value; a whole chunk (a tail emitting on a wrong port) by [start, count, step]
  const input = isRangeChunk(work.chunk) && work.chunk.count === 1 ? encodeValue(work.chunk.start) : work.input
  init.status.fail({ stage: stage.spec.name, input, attempts: work.attempts, error: { name: error.name, message: `${where}: ${error.message}` } })
}

/** "a → b → c" */
export function chainName (chain: ChainState): string {
  return chain.stages.map(s => s.spec.name).join(' → ')
}
