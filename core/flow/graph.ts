/**
 * The stream graph of a flow, derived once from a FlowSpec: who reads each stream, what lies upstream of
 * each stage, which stages form feedback loops (strongly connected components), and a scheduling order.
 * Pure and synchronous; flows have at most a few hundred stages, so plain set-based algorithms suffice.
 */
import { canonicalStream } from './model.js'
import type { FlowSpec } from './model.js'

export interface Consumer {
  readonly kind: 'stage' | 'sink'
  readonly name: string
}

export interface FlowGraph {
  /** Stream id (canonical, see canonicalStream in model.ts) → its consumers, stages before sinks, in file order. */
  readonly consumers: ReadonlyMap<string, readonly Consumer[]>
  /**
   * Stage name → every source and stage upstream of it, transitively. Through a loop this includes the
   * stage itself (a member of a feedback loop feeds itself).
   */
  readonly upstream: ReadonlyMap<string, ReadonlySet<string>>
  /**
   * Stage name → id of its strongly connected component; stages in the same loop share it. Ids are
   * numbered in `order`: a component's id is greater than the ids of every component upstream of it.
   */
  readonly component: ReadonlyMap<string, number>
  /** Stage names in a topological order of the component DAG (upstream first), members of a loop together. */
  readonly order: readonly string[]
}

/** The source or stage that writes a stream: `iterate.next` → `iterate`. */
export function producerOf (stream: string): string {
  const dot = stream.indexOf('.')
  return dot < 0 ? stream : stream.slice(0, dot)
}

export function buildGraph (spec: FlowSpec): FlowGraph {
  const stageNames = Object.keys(spec.stages)

  const consumers = new Map<string, Consumer[]>()
  const addConsumer = (stream: string, consumer: Consumer): void => {
    const id = canonicalStream(stream)
    const list = consumers.get(id) ?? []
    if (!list.some(c => c.kind === consumer.kind && c.name === consumer.name)) list.push(consumer)
    consumers.set(id, list)
  }
  for (const stage of Object.values(spec.stages)) for (const input of stage.inputs) addConsumer(input, { kind: 'stage', name: stage.name })
  for (const sink of Object.values(spec.sinks)) for (const input of sink.inputs) addConsumer(input, { kind: 'sink', name: sink.name })

  // Direct producers (sources and stages) of each stage; a side input's producer is upstream too (its items
  // are values the stage needs), although its items are not queued as jobs.
  const direct = new Map<string, Set<string>>()
  for (const stage of Object.values(spec.stages)) {
    const producers = new Set(stage.inputs.map(producerOf))
    if (stage.kind === 'map' && stage.sideInput !== undefined) producers.add(producerOf(stage.sideInput))
    direct.set(stage.name, producers)
  }

  const upstream = new Map<string, Set<string>>()
  for (const name of stageNames) {
    const seen = new Set<string>()
    const todo = [...direct.get(name)!]
    while (todo.length > 0) {
      const next = todo.pop()!
      if (seen.has(next)) continue
      seen.add(next)
      for (const up of direct.get(next) ?? []) if (!seen.has(up)) todo.push(up)
    }
    upstream.set(name, seen)
  }

  // Two stages share a component when each is upstream of the other.
  const members: string[][] = []
  const memberOf = new Map<string, number>()
  for (const name of stageNames) {
    if (memberOf.has(name)) continue
    const group = [name]
    memberOf.set(name, members.length)
    for (const other of stageNames) {
      if (other !== name && !memberOf.has(other) && upstream.get(name)!.has(other) && upstream.get(other)!.has(name)) {
        group.push(other)
        memberOf.set(other, members.length)
      }
    }
    members.push(group)
  }

  // Kahn's algorithm on the component DAG; ties go to the component declared first, for a stable order.
  const preds = members.map((group, c) => {
    const set = new Set<number>()
    for (const name of group) for (const up of direct.get(name)!) {
      const u = memberOf.get(up)
      if (u !== undefined && u !== c) set.add(u)
    }
    return set
  })
  const done = new Set<number>()
  const order: string[] = []
  const component = new Map<string, number>()
  while (done.size < members.length) {
    const next = members.findIndex((_, c) => !done.has(c) && [...preds[c]].every(p => done.has(p)))
    done.add(next)
    for (const name of members[next]) {
      component.set(name, done.size - 1)
      order.push(name)
    }
  }
  return { consumers, upstream, component, order }
}

/** Whether a stage is part of a feedback loop (a component of several stages, or a stage reading itself). */
export function inLoop (graph: FlowGraph, stage: string): boolean {
  return graph.upstream.get(stage)?.has(stage) ?? false
}
