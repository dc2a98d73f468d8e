/**
 * Step 3 of validation: feedback loops. A loop (a strongly connected component of several stages, or a
 * stage reading its own output) is legal when items can enter it (some member reads a source or a stage
 * outside it), can leave it (some member's port is read outside it), and it holds no aggregate stage (an
 * aggregate waits until everything upstream is finished, and inside a loop that includes itself).
 * Whether a loop terminates depends on the functions: see "How loops end" in README.md.
 */
import { FlowValidationError } from '../errors.js'
import { buildGraph, inLoop, producerOf } from './graph.js'
import type { FlowGraph } from './graph.js'
import { streamOf } from './model.js'
import type { FlowSpec } from './model.js'

export function checkLoops (spec: FlowSpec, graph: FlowGraph = buildGraph(spec)): void {
  const checked = new Set<number>()
  for (const first of Object.keys(spec.stages)) {
    const c = graph.component.get(first)!
    if (checked.has(c) || !inLoop(graph, first)) continue
    checked.add(c)
    const members = Object.keys(spec.stages).filter(name => graph.component.get(name) === c)
    const inside = new Set(members)
    const cycle = describeCycle(spec, first, inside)
    const fail = (stage: string, expected: string): never => {
      throw new FlowValidationError(spec.file, `stages.${stage}.input`, expected)
    }

    const aggregate = members.find(name => spec.stages[name].kind === 'aggregate')
    if (aggregate !== undefined) {
      fail(aggregate, `an input outside the feedback loop (${cycle}): an aggregate stage cannot be part of a loop, since it emits only once everything upstream of it, itself included, has finished`)
    }

    const exits = members.some(name => spec.stages[name].outputs.some(port =>
      (graph.consumers.get(streamOf(name, port)) ?? []).some(consumer => consumer.kind === 'sink' || !inside.has(consumer.name))))
    if (!exits) fail(first, `a feedback loop (${cycle}) needs an exit: some output read outside the loop`)

    const fed = members.some(name => spec.stages[name].inputs.some(stream => !inside.has(producerOf(stream))))
    if (!fed) fail(first, `a feedback loop (${cycle}) needs an entry: some member must read a source or a stage outside the loop`)
  }
}

/** The shortest cycle through `first` within the loop, as `a → b → a`. */
function describeCycle (spec: FlowSpec, first: string, inside: ReadonlySet<string>): string {
  const successors = (name: string): string[] => [...inside].filter(other =>
    spec.stages[other].inputs.some(stream => producerOf(stream) === name))
  const parent = new Map<string, string>()
  const queue = [first]
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i]
    for (const next of successors(at)) {
      if (next === first) {
        const path = [first]
        for (let n: string | undefined = at; n !== undefined && n !== first; n = parent.get(n)) path.splice(1, 0, n)
        return [...path, first].join(' → ')
      }
      if (!parent.has(next)) {
        parent.set(next, at)
        queue.push(next)
      }
    }
  }
  return `${first} → ${first}` // unreachable for a real loop member; kept total
}
