/**
 * The run state of one flow: a pure state machine (no I/O, no timers, no promises) that knows which work is
 * queued for which stage, which jobs are out and until when, where every output goes, and when the flow is
 * finished or has failed. The orchestrator (flow-run.ts) feeds it source items and job outcomes and carries
 * out what it returns: jobs to run and items to deliver to sinks. Semantics: README.md's "Execution
 * semantics"; every transition, with the test that proves it: TRANSITIONS.md. In short:
 * - Jobs are handed out downstream-first; each job id is accepted once and re-queued work gets a new id, so
 *   every item reaches a sink exactly once. A failed job is retried up to the stage's `retries`, then the run
 *   has failed (jobs out may still end).
 * - How a stage's work waits and who may take it is its queue (queues/stage-queue.ts), chosen once per stage
 *   (stage-state.ts); work queued is the sum of the queues' sizes. Verification: verification.ts; side
 *   inputs: side-values.ts; chunks of a split range: chunks.ts; where items go and replays: router.ts; when
 *   aggregates and side inputs are complete: completion.ts.
 */
import { errorToData, VerificationError } from '../errors.js'
import type { FlowGraph } from '../flow/graph.js'
import type { FlowSpec } from '../flow/model.js'
import type { FunctionRef, Job, JobOutcome } from '../jobs.js'
import { ClusterMembership } from './placement.js'
import { SideValues } from '../protocol/side-values.js'
import type { SideValue } from '../protocol/side-values.js'
import { createStageState, jobOf } from './stage-state.js'
import type { OutJob, StageCounts, StageState, Work } from './stage-state.js'
import { maxReplicas, VerificationLedger } from './verification.js'
import { Completion } from './completion.js'
import type { ChunkRecord, JobRecord } from '../journal/journal.js'
import type { ResumePoint } from '../journal/resume-point.js'
import { JobIds } from './job-ids.js'
import { Router } from './router.js'
import type { SinkDelivery } from './router.js'
import { RunStatus } from './run-status.js'
import type { JobFailure } from './run-status.js'
import { isRangeChunk, type RangeChunk } from './chunks.js'
import { ChunkPlan, observeChunk } from './chunk-plan.js'
import { planChains, type ChainPlan } from './chain-plan.js'
import { attachChains, completeChainChunk } from './chain-run.js'
import { WorkerCaps, type WorkerFeatures } from './worker-caps.js'
import { ChunklessWorkers } from './worker-features.js'

export type { StageCounts } from './stage-state.js'
export type { SinkDelivery } from './router.js'
export type { JobFailure } from './run-status.js'

export interface RunStateInit {
  readonly spec: FlowSpec
  readonly graph: FlowGraph
  /** Function name (as in flow.json) → module hash and export. */
  readonly functions: ReadonlyMap<string, FunctionRef>
  /** Work allowed to wait in queues before sources are throttled. */
  readonly highWater?: number
  /** Record finished jobs for a journal (takeJournalRecords). */
  readonly journal?: boolean
  /** Resume from a journal: its jobs are replayed instead of run. */
  readonly resume?: ResumePoint
  /** Where job ids come from (default: 1, 2, 3 …; a RunBoard gives each run its own slot, job-ids.ts). */
  readonly jobIds?: JobIds
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
  private readonly status = new RunStatus()
  private readonly router: Router
  private readonly completion: Completion
  /** Deliveries of broadcast copies replayed during takeJobs, until FlowRun takes them. */
  private replayed: SinkDelivery[] = []
  private readonly ids: JobIds
  readonly perWorker = new Map<string, number>()
  readonly membership: ClusterMembership
  readonly sideValues = new SideValues()
  /** Streams read as side inputs. */
  private readonly sideStreams = new Set<string>()
  /** What each network worker can do: threads, features (side inputs, range and item chunks, chains). */
  private readonly caps = new WorkerCaps()
  /** Workers that joined unable to run some chunked stage's chunks (worker-features.ts). */
  readonly chunkless = new ChunklessWorkers()
  /** Sources handed out as chunks (ranges) and item chunks (files) → the stages reading them (chunk-plan.ts). */
  private readonly chunkPlan: ChunkPlan
  /** Stages that run chained, and why others do not (chain-plan.ts), decided at start. */
  readonly chains: ChainPlan
  private sideListener: ((name: string, value: SideValue) => void) | undefined
  /** Verified jobs, disagreements, suspicious and refused workers (stages with `verify`). */
  readonly verification = new VerificationLedger()
  private refusedListener: ((worker: string) => void) | undefined

  constructor (init: RunStateInit) {
    const { spec, graph, functions } = init
    this.highWater = init.highWater ?? DEFAULT_HIGH_WATER
    this.ids = init.jobIds ?? new JobIds()
    this.openSources = new Set(Object.keys(spec.sources))
    this.membership = new ClusterMembership(spec.clusters)
    for (const stage of Object.values(spec.stages)) if (stage.kind === 'map' && stage.sideInput != null) this.sideStreams.add(stage.sideInput)
    this.chunkPlan = new ChunkPlan(spec, graph, this.sideStreams, functions)
    const resume = init.resume
    for (const stage of Object.values(spec.stages)) {
      const fn = functions.get(stage.function)
      if (fn == null) throw new Error(`no module for function "${stage.function}" of stage "${stage.name}"`)
      this.stages.set(stage.name, createStageState(stage, fn, this.membership, this.chunkPlan.stageOptions(stage.name)))
    }
    this.chains = planChains(spec, graph, this.chunkPlan.rangeStages)
    attachChains(this.chains.chains, this.stages)
    this.priority = [...graph.order].reverse()
      .map(name => this.stages.get(name))
      .filter((s): s is StageState => s != null)
    const { stages, status, sideStreams, priority, openSources, sideValues } = this
    this.router = new Router({ graph, stages, status, sideStreams, setSide: (stream, bytes) => { this.setSideValue(stream, bytes) }, journal: init.journal === true, resume })
    this.completion = new Completion({ graph, stages, priority, openSources, status, router: this.router, sideValues })
  }

  /** How many source items may be offered now without exceeding the high-water mark (or `highWater`). */
  sourceBudget (highWater = this.highWater): number {
    if (this.status.failure != null) return 0
    return Math.max(0, highWater - this.itemsQueued)
  }

  /** Routes one item read from a source (`tag`: its position, for an indexed source); returns the sink deliveries it causes. */
  offerSourceItem (source: string, bytes: Uint8Array, tag?: string): SinkDelivery[] {
    const deliveries: SinkDelivery[] = []
    this.router.route(source, bytes, deliveries, tag)
    this.completion.settle(deliveries)
    return deliveries
  }

  /** Whether `source` (a range) is handed out as chunks (offerSourceRange) rather than item by item. */
  splitsRange (source: string): boolean { return this.chunkPlan.ranges.has(source) }

  /** A piece of a split range, queued uncut where it is read (range-queue.ts); journaled chunks in it replay. */
  offerSourceRange (source: string, range: RangeChunk): SinkDelivery[] {
    const deliveries: SinkDelivery[] = []
    for (const stage of (this.chunkPlan.ranges.get(source) ?? []).map(name => this.stages.get(name)!)) stage.chunks!.ranges!.pushRange(range, this.router.replayChunks(stage, range))
    this.completion.settle(deliveries)
    return deliveries
  }

  /** Whether `source` (a file) is handed out as item chunks (offerSourceItems: queued uncut at every reader). */
  splitsItems (source: string): boolean { return this.chunkPlan.items.has(source) }
  offerSourceItems (source: string, items: readonly Uint8Array[]): void {
    for (const name of this.chunkPlan.items.get(source) ?? []) this.stages.get(name)!.chunks!.items!.pushItems(items)
  }

  sourceExhausted (source: string): SinkDelivery[] {
    this.openSources.delete(source)
    const deliveries: SinkDelivery[] = []
    this.completion.settle(deliveries)
    return deliveries
  }

  /** Jobs finished since the last call (stages whose outputs depend only on their input), for the journal. */
  takeJournalRecords (): readonly JobRecord[] {
    return this.router.takeRecords()
  }

  /** Chunks finished since the last call, for the journal (chunk records: journal.ts). */
  takeChunkRecords (): readonly ChunkRecord[] {
    return this.router.takeChunkRecords()
  }

  /**
   * Hands out up to `max` jobs for `worker`, downstream stages first, respecting each stage's maxInstances.
   * With `now`, each job is leased until now + its timeout + LEASE_SLACK_MS (network workers, which may
   * vanish); without, it never expires (embedded workers, which report every job).
   */
  takeJobs (max: number, worker: string, now?: number): Job[] {
    const jobs: Job[] = []
    if (this.status.failure != null || this.verification.refused.has(worker)) return jobs
    for (const stage of this.priority) {
      if (stage.cluster != null && !this.membership.isMember(stage.cluster, worker)) continue
      if (!this.caps.mayRun(stage, worker) || (stage.side != null && !this.completion.sideReady(stage.side))) continue
      const queue = stage.queue
      queue.refill()
      const replays = queue.replaysOnTake
      while (jobs.length < max && stage.inFlight < stage.maxInFlight && this.caps.belowThreads(stage, worker)) {
        const work = queue.take(worker)
        if (work == null) break
        // a copy whose job a resumed run's journal holds takes its outputs (tagged with this member) instead
        const record = replays ? this.router.journaled(stage, work) : undefined
        if (record != null) this.router.replayNow(stage, work, record, worker, this.replayed)
        else this.handOut(stage, work, worker, now, jobs)
      }
      if (replays && this.replayed.length > 0) this.completion.settle(this.replayed)
      if (jobs.length >= max) break
    }
    return jobs
  }

  private handOut (stage: StageState, work: Work, worker: string, now: number | undefined, jobs: Job[]): void {
    const job = jobOf(stage, work, this.ids.next())
    stage.inFlight++
    if (stage.byWorker != null) stage.byWorker.set(worker, (stage.byWorker.get(worker) ?? 0) + 1)
    this.out.set(job.id, { job, stage, work, worker, leaseUntil: now == null ? Number.POSITIVE_INFINITY : now + job.timeoutMs + LEASE_SLACK_MS })
    jobs.push(job)
  }

  /** A job is no longer out (done, failed, put back or dropped). */
  private jobEnded (record: OutJob): void {
    const stage = record.stage
    stage.inFlight--
    if (stage.byWorker != null) {
      const n = (stage.byWorker.get(record.worker) ?? 1) - 1
      if (n > 0) stage.byWorker.set(record.worker, n)
      else stage.byWorker.delete(record.worker)
    }
  }

  /** Sink deliveries of broadcast copies replayed while jobs were handed out (FlowRun delivers them). */
  takeReplayedDeliveries (): readonly SinkDelivery[] {
    // called on every takeJobs: nothing to allocate in the common case
    if (this.replayed.length === 0) return this.replayed
    const deliveries = this.replayed
    this.replayed = []
    return deliveries
  }

  /**
   * Applies one job outcome. Unknown ids (late, duplicate, released) are ignored and return undefined.
   * Returns the sink deliveries the outputs cause.
   */
  complete (outcome: JobOutcome): SinkDelivery[] | undefined {
    const record = this.out.get(outcome.id)
    if (record == null) return undefined
    this.out.delete(outcome.id)
    this.jobEnded(record)
    const deliveries: SinkDelivery[] = []
    if (record.work.group != null) this.completeReplica(record, outcome, deliveries)
    else this.completeJob(record, outcome, deliveries)
    this.completion.settle(deliveries)
    return deliveries
  }

  private completeJob (record: OutJob, outcome: JobOutcome, deliveries: SinkDelivery[]): void {
    const { stage, work, worker } = record
    // a chain head's range chunks ran the whole chain (chain-run.ts); its item chunks, as any stage's
    if (stage.chain != null && isRangeChunk(work.chunk)) return completeChainChunk({ router: this.router, status: this.status, perWorker: this.perWorker }, record, outcome, deliveries)
    if (!outcome.ok) {
      if (work.chunk != null && outcome.item != null && outcome.item < work.chunk.count) this.router.failChunkItem(stage, work, outcome.item, worker, outcome.error)
      else this.router.failAttempt(stage, work, worker, outcome.error)
      return
    }
    if (!this.router.accept(stage, work, outcome, worker, deliveries)) return
    const items = work.chunk?.count ?? 1
    stage.counts.done += items
    this.perWorker.set(worker, (this.perWorker.get(worker) ?? 0) + items)
    if (work.chunk != null && outcome.ms != null) observeChunk(stage, items, outcome.ms, outcome)
  }

  /**
   * One replica's outcome: a failure opens its slot again (counted against `retries`); a result is tallied,
   * and once the replicas decide, the accepted outputs are routed exactly once.
   */
  private completeReplica (record: OutJob, outcome: JobOutcome, deliveries: SinkDelivery[]): void {
    const { stage, work, worker } = record
    const group = work.group!
    if (!outcome.ok) {
      stage.queue.putBack(work, worker) // its replica slot opens again
      work.attempts++
      if (work.attempts <= stage.spec.retries) {
        stage.counts.retried++
      } else {
        stage.queue.decided(work)
        stage.counts.failed++
        this.status.fail({ stage: stage.spec.name, input: work.input, attempts: work.attempts, error: outcome.error })
      }
      return
    }
    const decision = group.result(worker, outcome.outputs)
    if (decision.kind === 'wait') return
    stage.queue.decided(work)
    if (decision.kind === 'unverifiable') {
      stage.counts.failed++
      this.status.fail({ stage: stage.spec.name, input: work.input, attempts: work.attempts + 1, error: errorToData(new VerificationError(`no majority among up to ${maxReplicas(group.replicas)} replicas on distinct workers (${decision.versions} different outputs)`)) })
      return
    }
    if (!this.router.accept(stage, work, { outputs: decision.outputs }, worker, deliveries)) return
    const items = work.chunk?.count ?? 1
    stage.counts.done += items
    for (const w of decision.agreed) this.perWorker.set(w, (this.perWorker.get(w) ?? 0) + items)
    if (work.chunk != null && outcome.ms != null) observeChunk(stage, items, outcome.ms, outcome)
    for (const refused of this.verification.accepted(decision, group.disputed, items)) {
      this.release(refused)
      this.refusedListener?.(refused)
    }
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
   * A network worker joined with these labels (it may become a member of clusters) and what it can run
   * (`can`, worker-caps.ts). Returns whether any cluster's membership changed (pinned work may now be handed out).
   */
  workerJoined (worker: string, labels: readonly string[], can: WorkerFeatures = {}): boolean {
    this.caps.joined(worker, can)
    this.chunkless.joined(worker, [...this.stages.values()].filter(s => s.chunks != null && !this.caps.mayRunChunks(s, worker)).map(s => s.spec.name))
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
    this.caps.left(worker)
    for (const stage of this.stages.values()) stage.queue.memberLeft(worker)
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
    return this.status.failure
  }

  get jobsOut (): number {
    return this.out.size
  }

  /** Work waiting in queues (all stages, and replays not yet applied), not counting jobs out. */
  get itemsQueued (): number {
    let queued = this.router.pendingReplays
    for (const stage of this.priority) queued += stage.queue.size
    return queued
  }

  /** All sources read, nothing queued or out, every aggregate emitted. */
  isFinished (): boolean {
    if (this.openSources.size > 0 || this.out.size > 0 || this.itemsQueued > 0) return false
    return this.completion.aggregatesDone()
  }

  /** Once failed: true when no job is out any more (nothing else will happen). */
  isSettled (): boolean {
    return this.status.failure != null ? this.out.size === 0 : this.isFinished()
  }

  /** Work queued and jobs out, per stage (for progress displays: O(stages)). */
  stageLoad (): Record<string, { readonly queued: number, readonly inFlight: number }> {
    return Object.fromEntries([...this.stages].map(([name, s]) => [name, { queued: s.queue.size, inFlight: s.inFlight }]))
  }

  stageCounts (): Record<string, StageCounts> {
    const counts: Record<string, StageCounts> = {}
    for (const [name, stage] of this.stages) counts[name] = { ...stage.counts }
    return counts
  }

  private requeue (id: number, record: OutJob): void {
    this.out.delete(id)
    this.jobEnded(record)
    record.stage.queue.putBack(record.work, record.worker)
  }
}

