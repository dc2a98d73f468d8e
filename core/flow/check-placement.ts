/**
 * Step 4a of validation (before loops): rules that need the stream graph.
 * - A side input must come from upstream or from an independent branch, never from the stage itself or
 *   from its own downstream: its jobs would wait for values that only they can cause.
 * - A broadcast stage cannot sit in a feedback loop: each round would copy every item once per member
 *   again, so the work grows with the number of rounds to the power of the cluster size.
 */
import { FlowValidationError } from '../errors.js'
import type { FlowGraph } from './graph.js'
import { inLoop, producerOf } from './graph.js'
import type { FlowSpec } from './model.js'

export function checkPlacement (spec: FlowSpec, graph: FlowGraph): void {
  for (const stage of Object.values(spec.stages)) {
    if (stage.kind === 'map' && stage.sideInput !== undefined) {
      const producer = producerOf(stage.sideInput)
      if (producer === stage.name || (graph.upstream.get(producer)?.has(stage.name) ?? false)) {
        throw new FlowValidationError(spec.file, `stages.${stage.name}.sideInput`, `a stream from upstream of "${stage.name}" or from another branch, but ${JSON.stringify(stage.sideInput)} is written ${producer === stage.name ? 'by the stage itself' : 'downstream of it'}: its jobs would wait for values only they can produce`)
      }
    }
    if (stage.broadcast === true && inLoop(graph, stage.name)) {
      throw new FlowValidationError(spec.file, `stages.${stage.name}.broadcast`, 'a stage outside feedback loops: a broadcast stage in a loop would copy every item to every member again on each round')
    }
  }
}
