/**
 * When parts of a run are complete: an aggregate stage finalises once everything upstream of it is quiet
 * (sources read, no work queued or out) and emits once its last combine is back; a side input is ready once
 * its stream has a value or has ended. Work routed meanwhile (an aggregate's items, replays) is settled
 * before the next stage is looked at, so a downstream aggregate never finalises early.
 */
import type { FlowGraph } from '../flow/graph.js'
import { producerOf } from '../flow/graph.js'
import type { Router, SinkDelivery } from './router.js'
import type { RunStatus } from './run-status.js'
import type { SideValues } from '../protocol/side-values.js'
import type { StageState } from './stage-state.js'

export interface CompletionInit {
  readonly graph: FlowGraph
  readonly stages: ReadonlyMap<string, StageState>
  /** Stages in dispatch priority order: downstream first. */
  readonly priority: readonly StageState[]
  /** Sources not yet exhausted. */
  readonly openSources: ReadonlySet<string>
  readonly status: RunStatus
  readonly router: Router
  readonly sideValues: SideValues
}

export class Completion {
  constructor (private readonly init: CompletionInit) {}

  /** Replays pending work, then finalises and emits the aggregates that are complete. */
  settle (deliveries: SinkDelivery[]): void {
    this.init.router.replay(deliveries)
    // An aggregate that emits may make a downstream aggregate's upstream quiet: repeat until nothing changes.
    let changed = true
    while (changed && this.init.status.failure == null) {
      changed = false
      for (const stage of this.init.priority) {
        const agg = stage.aggregate
        if (agg == null || agg.emitted) continue
        if (!agg.isFinalizing && this.upstreamQuiet(stage.spec.name)) {
          agg.finalize()
          stage.queue.refill() // the remaining groups become combine jobs
        }
        if (agg.readyToEmit() && stage.queue.size === 0 && stage.inFlight === 0) {
          for (const item of agg.emit()) {
            stage.counts.emitted++
            this.init.router.route(stage.portStreams[0], item, deliveries)
          }
          this.init.router.replay(deliveries)
          changed = true
        }
      }
    }
  }

  /** Every aggregate has emitted. */
  aggregatesDone (): boolean {
    for (const stage of this.init.stages.values()) {
      if (stage.aggregate != null && !stage.aggregate.emitted) return false
    }
    return true
  }

  /** A side input can be used once it has a value, or once its stream has ended (the value is then nil). */
  sideReady (stream: string): boolean {
    if (this.init.sideValues.get(stream) != null) return true
    const producer = producerOf(stream)
    if (this.init.openSources.has(producer)) return false
    const stage = this.init.stages.get(producer)
    if (stage == null) return true // an exhausted source
    return this.stageQuiet(stage) && this.upstreamQuiet(producer)
  }

  private stageQuiet (stage: StageState): boolean {
    if (stage.queue.size > 0 || stage.inFlight > 0) return false
    return stage.aggregate == null || stage.aggregate.emitted
  }

  private upstreamQuiet (name: string): boolean {
    for (const up of this.init.graph.upstream.get(name) ?? []) {
      if (this.init.openSources.has(up)) return false
      const stage = this.init.stages.get(up)
      if (stage != null && !this.stageQuiet(stage)) return false
    }
    return true
  }
}
