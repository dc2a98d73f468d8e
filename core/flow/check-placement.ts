/**
 * Step 4b of validation: placement rules that need the stream graph. A broadcast stage cannot sit in a
 * feedback loop: each round would copy every item once per member again, so the work grows with the
 * number of rounds to the power of the cluster size.
 */
import { FlowValidationError } from '../errors.js'
import type { FlowGraph } from './graph.js'
import { inLoop } from './graph.js'
import type { FlowSpec } from './model.js'

export function checkPlacement (spec: FlowSpec, graph: FlowGraph): void {
  for (const stage of Object.values(spec.stages)) {
    if (stage.broadcast === true && inLoop(graph, stage.name)) {
      throw new FlowValidationError(spec.file, `stages.${stage.name}.broadcast`, 'a stage outside feedback loops: a broadcast stage in a loop would copy every item to every member again on each round')
    }
  }
}
