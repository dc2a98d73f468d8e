/** What a run says about workers, as coordinator events: refused by verification, or too old for chunks. */
import type { FlowRun } from '../../core/run/flow-run.js'
import { REFUSE_AFTER_DISAGREEMENTS } from '../../core/run/verification.js'
import { emit } from './events.js'
import type { CoordinatorEventTarget, RunRef } from './events.js'

/** Forwards `flow`'s worker notices to `events` for the run's life; returns what stops the verification one. */
export function forwardWorkerNotices (events: CoordinatorEventTarget, flow: FlowRun, ref: RunRef): () => void {
  // once per worker and run: the FlowRun keeps one listener and ends with the run
  flow.onChunkless((id, stages) => { emit(events, 'worker:no-chunks', { ...ref, id, stages }) })
  return flow.onRefused(id => { emit(events, 'worker:refused', { ...ref, id, disagreements: REFUSE_AFTER_DISAGREEMENTS }) })
}
