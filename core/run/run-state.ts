/**
 * The run state of one flow: a pure state machine (no I/O, no timers, no promises) that knows which work is
 * queued for which stage, which jobs are out and until when, where every output goes, and when the flow is
 * finished or has failed. The orchestrator (flow-run.ts) feeds it source items and job outcomes and carries
 * out what it returns: jobs to run and items to deliver to sinks.
 *
 * Semantics (see README.md, "Execution semantics"):
 * - A job is one call of a stage's function on one item. Jobs are handed out downstream-first, so pipelines
 *   drain before more input is pulled and memory stays bounded.
 * - Each job id is accepted once: an outcome for an unknown id (a job that was completed, re-queued after a
 *   lease expired, or released by a worker that left) is ignored. Re-queued work gets a new id. Hence every
 *   item reaches a sink exactly once, however often it was executed.
 * - A failed job is retried (front of its queue) up to the stage's `retries`; then the run has failed, no
 *   new job is handed out, and jobs already out may still complete.
 * - The flow is finished when every source is exhausted, no work is queued or out, and every aggregate
 *   stage has emitted.
 * - A stage pinned to a cluster is handed only to the cluster's members (placement.ts); its outputs are
 *   tagged with the member that ran the job, and items derived from them downstream keep the tag.
 * - A broadcast stage's items are copied to every member (member-queues.ts): one job per (item, member),
 *   taken only by that member and accepted once; a member that leaves drops its unfinished copies.
 * - A partitioned stage's items go to the member owning their key (member-queues.ts); a member that leaves
 *   hands its keys, queued items and running jobs back for the remaining members.
 * - A stage with `verify` runs each job on `replicas` distinct workers (verification.ts): the work stays
 *   queued until agreeing outputs are accepted, then routed once; a worker disagreeing too often is refused
 *   (it gets no more jobs, its jobs go back). Work waits while too few distinct workers ask for it.
 * - A stream read as a side input keeps its latest item as a versioned value (side-inputs.ts); jobs of a
 *   stage with a side input are handed out once the value exists (or its stream ended), marked `side`.
 */
import type { FlowGraph } from '../flow/graph.js'
import type { FlowSpec } from '../flow/model.js'
import type { FunctionRef, Job, JobOutcome, ErrorData } from '../jobs.js'
import { errorToData } from '../errors.js'
import { describeBytes } from './aggregate.js'
import { ClusterMembership } from './placement.js'
import { SideValues } from './side-inputs.js'
import type { SideValue } from './side-inputs.js'
import { producerOf } from '../flow/graph.js'
import { createStageState, partitionKey } from './stage-state.js'
import type { OutJob, StageCounts, StageState, Work } from './stage-state.js'
import { maxReplicas, ReplicaGroup, VerificationLedger } from './verification.js'
import type { Emitted } from '../abi/abi.js'

export type { StageCounts } from './stage-state.js'

export interface SinkDelivery {
  readonly sink: string
  readonly bytes: Uint8Array
  /** The cluster member the item comes from, if it was produced on (or derived from) a pinned stage. */
  readonly tag?: string
}

export interface JobFailure {
  readonly stage: string
  /** The msgpack input of the job that failed. */
  readonly input: Uint8Array
  readonly attempts: number
  readonly error: ErrorData
}

export interface RunStateInit {
  readonly spec: FlowSpec
  readonly graph: FlowGraph
  /** Function name (as in flow.json) → module hash and export. */
  readonly functions: ReadonlyMap<string, FunctionRef>
  /** Work allowed to wait in queues before sources are throttled. */
  readonly highWater?: number
}

/** Queued items (all stages) above which sources are not pulled: bounds memory whatever the source length. */
export const DEFAULT_HIGH_WATER = 8192
/** Extra time a network worker gets beyond a job's timeout before its lease expires. */
export const LEASE_SLACK_MS = 5_000

export class RunState {
  private readonly stages = new Map<string, StageState>()
  /** Stages in dispatch priority order: downstream first. */
  private readonly priority: StageState[]
  private readonly out = new Map<number, OutJob>()
  private readonly openSources: Set<string>
  private readonly highWater: number
  private nextId = 1
  private queued = 0
  private _failure: JobFailure | undefined
  readonly perWorker = new Map<string, number>()
  readonly membership: ClusterMembership
  readonly sideValues = new SideValues()
  /** Streams read as side inputs. */
  private readonly sideStreams = new Set<string>()
  /** Threads of each network worker (from its hello); embedded workers are not listed (no per-worker cap). */
  private readonly threads = new Map<string, number>()
  /** Workers that cannot run side-input jobs (their hello did not offer the feature). */
  private readonly withoutSide = new Set<string>()
  private sideListener: ((name: string, value: SideValue) => void) | undefined
  /** Verified jobs, disagreements, suspicious and refused workers (stages with `verify`). */
  readonly verification = new VerificationLedger()
  private refusedListener: ((worker: string) => void) | undefined

  constructor (private readonly init: RunStateInit) {
    const { spec, graph, functions } = init
    this.highWater = init.highWater ?? DEFAULT_HIGH_WATER
    this.openSources = new Set(Object.keys(spec.sources))
    this.membership = new ClusterMembership(spec.clusters)
    for (const stage of Object.values(spec.stages)) if (stage.kind === 'map' && stage.sideInput != null) this.sideStreams.add(stage.sideInput)
    for (const stage of Object.values(spec.stages)) {
      const fn = functions.get(stage.function)
      if (fn == null) throw new Error(`no module for function "${stage.function}" of stage "${stage.name}"`)
      this.stages.set(stage.name, createStageState(stage, fn))
    }
    this.priority = [...graph.order].reverse()
      .map(name => this.stages.get(name))
      .filter((s): s is StageState => s != null)
  }

  /** How many source items may be offered now without exceeding the high-water mark. */
  sourceBudget (): number {
    if (this._failure != null) return 0
    return Math.max(0, this.highWater - this.queued)
  }

  /** Routes one item read from a source; returns the sink deliveries it causes. */
  offerSourceItem (source: string, bytes: Uint8Array): SinkDelivery[] {
    const deliveries: SinkDelivery[] = []
    this.route(source, bytes, deliveries)
    return deliveries
  }

  sourceExhausted (source: string): SinkDelivery[] {
    this.openSources.delete(source)
    return this.advanceAggregates()
  }

  /**
   * Hands out up to `max` jobs for `worker`, downstream stages first, respecting each stage's maxInstances.
   * With `now`, each job is leased until now + its timeout + LEASE_SLACK_MS (network workers, which may
   * vanish); without, it never expires (embedded workers, which report every job).
   */
  takeJobs (max: number, worker: string, now?: number): Job[] {
    const jobs: Job[] = []
    if (this._failure != null || this.verification.refused.has(worker)) return jobs
    for (const stage of this.priority) {
      if (stage.cluster != null && !this.membership.isMember(stage.cluster, worker)) continue
      if (stage.side != null && (this.withoutSide.has(worker) || !this.sideReady(stage.side))) continue
      if (stage.members != null) {
        this.takeMemberJobs(stage, worker, max, jobs, now)
        if (jobs.length >= max) break
        continue
      }
      if (stage.aggregate != null) this.queueCombines(stage)
      if (stage.verifying != null) {
        this.takeReplicas(stage, worker, max, jobs, now)
        if (jobs.length >= max) break
        continue
      }
      while (jobs.length < max && stage.inFlight < stage.maxInFlight && stage.queue.size > 0 && this.belowWorkerCap(stage, worker)) {
        const work = stage.queue.shift()!
        this.queued--
        this.handOut(stage, work, worker, now, jobs)
      }
      if (jobs.length >= max) break
    }
    return jobs
  }

  /**
   * A stage with maxInstances runs that many instances side by side: a worker holds at most as many of its
   * jobs as it has threads, so the instances spread over workers instead of queueing on one.
   */
  private belowWorkerCap (stage: StageState, worker: string): boolean {
    if (stage.byWorker == null) return true
    return (stage.byWorker.get(worker) ?? 0) < (this.threads.get(worker) ?? Number.POSITIVE_INFINITY)
  }

  private handOut (stage: StageState, work: Work, worker: string, now: number | undefined, jobs: Job[]): void {
    const job: Job = stage.side == null
      ? { id: this.nextId++, fn: stage.fn, input: work.input, timeoutMs: stage.spec.timeoutMs }
      : { id: this.nextId++, fn: stage.fn, input: work.input, timeoutMs: stage.spec.timeoutMs, side: stage.side }
    stage.inFlight++
    if (stage.byWorker != null) stage.byWorker.set(worker, (stage.byWorker.get(worker) ?? 0) + 1)
    this.out.set(job.id, { job, stage, work, worker, leaseUntil: now == null ? Number.POSITIVE_INFINITY : now + stage.spec.timeoutMs + LEASE_SLACK_MS })
    jobs.push(job)
  }

  /** A job is no longer out (done, failed, put back or dropped). */
  private settle (record: OutJob): void {
    const stage = record.stage
    stage.inFlight--
    if (stage.byWorker != null) {
      const n = (stage.byWorker.get(record.worker) ?? 1) - 1
      if (n > 0) stage.byWorker.set(record.worker, n)
      else stage.byWorker.delete(record.worker)
    }
  }

  /**
   * Replicas for `worker` of a stage with `verify`: first of jobs already started (never a second replica of
   * one job on the same worker), then new ones. The work stays counted as queued until it is decided.
   */
  private takeReplicas (stage: StageState, worker: string, max: number, jobs: Job[], now: number | undefined): void {
    const verifying = stage.verifying!
    for (const work of verifying) {
      if (jobs.length >= max || stage.inFlight >= stage.maxInFlight || !this.belowWorkerCap(stage, worker)) return
      if (!work.group!.wants(worker)) continue
      work.group!.handedTo(worker)
      this.handOut(stage, work, worker, now, jobs)
    }
    while (jobs.length < max && stage.inFlight < stage.maxInFlight && stage.queue.size > 0 && this.belowWorkerCap(stage, worker)) {
      const work = stage.queue.shift()!
      work.group = new ReplicaGroup(stage.spec.verify!.replicas)
      verifying.add(work)
      work.group.handedTo(worker)
      this.handOut(stage, work, worker, now, jobs)
    }
  }

  /** Jobs of a broadcast or partitioned stage for `worker`, a member of its cluster: distributes pending items first. */
  private takeMemberJobs (stage: StageState, worker: string, max: number, jobs: Job[], now: number | undefined): void {
    const members = stage.members!
    const cluster = stage.cluster!
    if (this.membership.isReady(cluster)) this.queued += members.distribute(this.membership.members(cluster))
    while (jobs.length < max && stage.inFlight < stage.maxInFlight && this.belowWorkerCap(stage, worker)) {
      const work = members.take(worker)
      if (work == null) return
      this.queued--
      this.handOut(stage, work, worker, now, jobs)
    }
  }

  /**
   * Applies one job outcome. Unknown ids (late, duplicate, released) are ignored and return undefined.
   * Returns the sink deliveries the outputs cause.
   */
  complete (outcome: JobOutcome): SinkDelivery[] | undefined {
    const record = this.out.get(outcome.id)
    if (record == null) return undefined
    this.out.delete(outcome.id)
    const { stage, work } = record
    this.settle(record)
    if (work.group != null) return this.completeReplica(record, outcome)
    if (!outcome.ok) {
      this.failAttempt(stage, work, outcome.error)
      return this.advanceAggregates()
    }
    const deliveries: SinkDelivery[] = []
    if (!this.applyOutputs(stage, work, outcome.outputs, record.worker, deliveries)) return this.advanceAggregates()
    stage.counts.done++
    this.perWorker.set(record.worker, (this.perWorker.get(record.worker) ?? 0) + 1)
    for (const d of this.advanceAggregates()) deliveries.push(d)
    return deliveries
  }

  /**
   * One replica's outcome: a failure opens its slot again (counted against `retries`); a result is tallied,
   * and once the replicas decide, the accepted outputs are routed exactly once.
   */
  private completeReplica (record: OutJob, outcome: JobOutcome): SinkDelivery[] {
    const { stage, work, worker } = record
    const group = work.group!
    if (!outcome.ok) {
      group.lost(worker)
      work.attempts++
      if (work.attempts <= stage.spec.retries) {
        stage.counts.retried++
      } else {
        this.decided(stage, work)
        stage.counts.failed++
        this._failure ??= { stage: stage.spec.name, input: work.input, attempts: work.attempts, error: outcome.error }
      }
      return this.advanceAggregates()
    }
    const decision = group.result(worker, outcome.outputs)
    if (decision.kind === 'wait') return []
    this.decided(stage, work)
    if (decision.kind === 'unverifiable') {
      stage.counts.failed++
      this._failure ??= { stage: stage.spec.name, input: work.input, attempts: work.attempts + 1, error: { name: 'VerificationError', message: `no majority among ${maxReplicasText(group.replicas)} replicas on distinct workers (${decision.versions} different outputs)` } }
      return this.advanceAggregates()
    }
    const deliveries: SinkDelivery[] = []
    if (!this.applyOutputs(stage, work, decision.outputs, worker, deliveries)) return this.advanceAggregates()
    stage.counts.done++
    for (const w of decision.agreed) this.perWorker.set(w, (this.perWorker.get(w) ?? 0) + 1)
    for (const refused of this.verification.accepted(decision, group.disputed)) {
      this.release(refused)
      this.refusedListener?.(refused)
    }
    for (const d of this.advanceAggregates()) deliveries.push(d)
    return deliveries
  }

  /** Verified work leaves its stage: no replica of it is out any more. */
  private decided (stage: StageState, work: Work): void {
    stage.verifying!.delete(work)
    this.queued--
  }

  /** Whether `worker` was refused for disagreeing with the quorum too often (it gets no jobs, may not rejoin). */
  isRefused (worker: string): boolean {
    return this.verification.refused.has(worker)
  }

  /** Called once for each worker refused by verification. */
  onRefused (listener: (worker: string) => void): void {
    this.refusedListener = listener
  }

  /**
   * Routes a job's outputs (or folds a combine job's value into its aggregate). Returns false, after failing
   * the attempt, when the outputs break the stage's shape (wrong port, combine not emitting exactly one value).
   */
  private applyOutputs (stage: StageState, work: Work, outputs: readonly Emitted[], worker: string, deliveries: SinkDelivery[]): boolean {
    const outcome = { outputs }
    const record = { worker }
    if (work.key != null) {
      // a combine job: exactly one value goes back into the aggregate
      if (outcome.outputs.length !== 1 || outcome.outputs[0].port !== 0) {
        this.failAttempt(stage, work, { name: 'OutputLimitError', message: `aggregate function "${stage.spec.function}" must emit exactly one value on port 0, emitted ${outcome.outputs.length}` })
        return false
      }
      stage.aggregate!.combined(work.key, outcome.outputs[0].bytes)
    } else {
      for (const output of outcome.outputs) {
        if (output.port >= stage.portStreams.length || output.port < 0) {
          this.failAttempt(stage, work, { name: 'OutputLimitError', message: `emitted on port ${output.port}, but stage "${stage.spec.name}" has ${stage.portStreams.length} output(s): ${stage.spec.outputs.join(', ')}` })
          return false
        }
      }
      // a pinned stage's outputs are tagged with the member that ran it; others pass their input's tag on
      const tag = stage.cluster != null ? record.worker : work.tag
      for (const output of outcome.outputs) {
        stage.counts.emitted++
        this.route(stage.portStreams[output.port], output.bytes, deliveries, tag)
      }
    }
    return true
  }

  /**
   * A network worker joined with these labels: it may become a member of clusters. Returns whether any
   * cluster's membership changed (pinned work may now be handed out).
   */
  workerJoined (worker: string, labels: readonly string[], sideInputs = true, threads?: number): boolean {
    if (!sideInputs) this.withoutSide.add(worker)
    if (threads != null) this.threads.set(worker, Math.max(1, threads))
    return this.membership.join(worker, labels)
  }

  /**
   * Sets the value of a side input (the latest item of its stream, or a value the coordinator publishes);
   * returns its version. Throws for a name no stage reads as a side input.
   */
  setSideValue (name: string, bytes: Uint8Array): number {
    if (!this.sideStreams.has(name)) throw new Error(`no stage reads "${name}" as a side input`)
    const version = this.sideValues.set(name, bytes)
    this.sideListener?.(name, { version, bytes })
    return version
  }

  /** Called with every new side input value (the coordinator publishes it to the workers). */
  onSideValue (listener: (name: string, value: SideValue) => void): void {
    this.sideListener = listener
  }

  /**
   * Puts back every job out with `worker` (it left or disconnected); their late outcomes will be ignored.
   * The worker also leaves every cluster (a waiting worker may take its place).
   */
  release (worker: string): number {
    this.membership.leave(worker)
    this.withoutSide.delete(worker)
    this.threads.delete(worker)
    for (const stage of this.stages.values()) if (stage.members != null) this.queued -= stage.members.memberLeft(worker)
    let count = 0
    for (const [id, record] of this.out) {
      if (record.worker !== worker) continue
      this.requeue(id, record)
      count++
    }
    return count
  }

  /** Puts back jobs whose lease ran out before `now`; returns how many. */
  expireLeases (now: number): number {
    let count = 0
    for (const [id, record] of this.out) {
      if (record.leaseUntil >= now) continue
      this.requeue(id, record)
      count++
    }
    return count
  }

  get failure (): JobFailure | undefined {
    return this._failure
  }

  get jobsOut (): number {
    return this.out.size
  }

  get itemsQueued (): number {
    return this.queued
  }

  /** All sources read, nothing queued or out, every aggregate emitted. */
  isFinished (): boolean {
    if (this.openSources.size > 0 || this.queued > 0 || this.out.size > 0) return false
    for (const stage of this.stages.values()) {
      if (stage.aggregate != null && !stage.aggregate.emitted) return false
    }
    return true
  }

  /** Once failed: true when no job is out any more (nothing else will happen). */
  isSettled (): boolean {
    return this._failure != null ? this.out.size === 0 : this.isFinished()
  }

  stageCounts (): Record<string, StageCounts> {
    const counts: Record<string, StageCounts> = {}
    for (const [name, stage] of this.stages) counts[name] = { ...stage.counts }
    return counts
  }

  private requeue (id: number, record: OutJob): void {
    this.out.delete(id)
    this.settle(record)
    // a replica's work is still queued (in `verifying`): only its slot opens again
    if (record.work.group != null) record.work.group.lost(record.worker)
    else this.putBack(record.stage, record.work)
  }

  /** Work goes back to the front of its queue (a member's, for member stages: dropped if that member left). */
  private putBack (stage: StageState, work: Work): void {
    if (stage.members != null) {
      if (stage.members.putBack(work)) this.queued++
      return
    }
    stage.queue.unshift(work)
    this.queued++
  }

  /** Work of a stage waiting to be handed out, in its queue or its members' queues. */
  private waiting (stage: StageState): number {
    return stage.queue.size + (stage.members?.size ?? 0) + (stage.verifying?.size ?? 0)
  }

  private failAttempt (stage: StageState, work: Work, error: ErrorData): void {
    if (work.group != null) {
      // verified outputs that break the stage's shape: every honest replica agrees, so retrying cannot help
      stage.counts.failed++
      this._failure ??= { stage: stage.spec.name, input: work.input, attempts: work.attempts + 1, error }
      return
    }
    work.attempts++
    if (work.attempts <= stage.spec.retries) {
      stage.counts.retried++
      this.putBack(stage, work)
      return
    }
    stage.counts.failed++
    this._failure ??= { stage: stage.spec.name, input: work.input, attempts: work.attempts, error }
  }

  private route (stream: string, bytes: Uint8Array, deliveries: SinkDelivery[], tag?: string): void {
    if (this.sideStreams.has(stream)) this.setSideValue(stream, bytes)
    const consumers = this.init.graph.consumers.get(stream)
    if (consumers == null) return
    for (const consumer of consumers) {
      if (consumer.kind === 'sink') {
        deliveries.push(tag == null ? { sink: consumer.name, bytes } : { sink: consumer.name, bytes, tag })
        continue
      }
      const stage = this.stages.get(consumer.name)!
      if (stage.aggregate != null) {
        try {
          stage.aggregate.add(bytes)
        } catch (err) {
          stage.counts.failed++
          this._failure ??= { stage: stage.spec.name, input: bytes, attempts: 0, error: errorToData(err) }
        }
      } else if (stage.members != null) {
        const partition = stage.spec.partition
        if (partition == null) {
          stage.members.add({ input: bytes, attempts: 0 })
        } else {
          const partKey = partitionKey(bytes, partition.by)
          if (partKey == null) {
            stage.counts.failed++
            this._failure ??= { stage: stage.spec.name, input: bytes, attempts: 0, error: { name: 'PartitionInputError', message: `stage "${stage.spec.name}" is partitioned by ${partition.by}${partition.by === 'key' ? ' and reads [key, value] pairs' : ''}, but received ${describeBytes(bytes)}` } }
            continue
          }
          stage.members.add({ input: bytes, attempts: 0, partKey })
        }
        this.queued++
      } else {
        stage.queue.push(tag == null ? { input: bytes, attempts: 0 } : { input: bytes, attempts: 0, tag })
        this.queued++
      }
    }
  }

  private queueCombines (stage: StageState): void {
    for (const work of stage.aggregate!.takeCombines()) {
      stage.queue.push({ input: work.input, attempts: 0, key: work.key })
      this.queued++
    }
  }

  /** Finalises aggregates whose upstream is quiet and emits those that are complete. */
  private advanceAggregates (): SinkDelivery[] {
    const deliveries: SinkDelivery[] = []
    // An aggregate that emits may make a downstream aggregate's upstream quiet: repeat until nothing changes.
    let changed = true
    while (changed && this._failure == null) {
      changed = false
      for (const stage of this.priority) {
        const agg = stage.aggregate
        if (agg == null || agg.emitted) continue
        if (!agg.isFinalizing && this.upstreamQuiet(stage.spec.name)) {
          agg.finalize()
          this.queueCombines(stage)
        }
        if (agg.readyToEmit() && this.waiting(stage) === 0 && stage.inFlight === 0) {
          for (const item of agg.emit()) {
            stage.counts.emitted++
            this.route(stage.portStreams[0], item, deliveries)
          }
          changed = true
        }
      }
    }
    return deliveries
  }

  /** A side input can be used once it has a value, or once its stream has ended (the value is then nil). */
  private sideReady (stream: string): boolean {
    if (this.sideValues.get(stream) != null) return true
    const producer = producerOf(stream)
    if (this.openSources.has(producer)) return false
    const stage = this.stages.get(producer)
    if (stage == null) return true // an exhausted source
    if (this.waiting(stage) > 0 || stage.inFlight > 0) return false
    if (stage.aggregate != null && !stage.aggregate.emitted) return false
    return this.upstreamQuiet(producer)
  }

  private upstreamQuiet (name: string): boolean {
    for (const up of this.init.graph.upstream.get(name) ?? []) {
      if (this.openSources.has(up)) return false
      const stage = this.stages.get(up)
      if (stage == null) continue
      if (this.waiting(stage) > 0 || stage.inFlight > 0) return false
      if (stage.aggregate != null && !stage.aggregate.emitted) return false
    }
    return true
  }
}


function maxReplicasText (replicas: number): string {
  return `up to ${maxReplicas(replicas)}`
}
