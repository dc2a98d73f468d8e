/**
 * The one place tests reach into a FlowRun's private run state: tests that drive the state by hand (items
 * offered, outcomes applied without a sink open) instead of through `run()`. Source code never does this.
 */
import type { FlowRun } from '../../core/run/flow-run.js'
import type { RunState } from '../../core/run/run-state.js'

export function stateOf (run: FlowRun): RunState {
  return (run as unknown as { state: RunState }).state
}
