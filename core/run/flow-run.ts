/**
 * Orchestrates one run of a flow: pulls sources while the run state has room, hands jobs to whoever asks
 * (embedded threads, network workers, browser tabs: they all call `takeJobs` / `complete`), delivers
 * outputs to sinks with backpressure, expires leases, and resolves when the flow is finished or failed.
 * Platform-neutral: sources and sinks are opened through injected adapters.
 */
import type { FlowGraph } from '../flow/graph.js'
import type { FlowSpec, SinkSpec } from '../flow/model.js'
import type { FunctionRef, Job, JobOutcome } from '../jobs.js'
import type { WorkerJoin } from '../grid/job-board.js'
import { GridError } from '../errors.js'
import { RunState } from './run-state.js'
import { SinkFeed } from './sink-feed.js'
import type { SideValue } from '../protocol/side-values.js'
import type { SourceCursor, SourceOpener } from './sources.js'
import { describeBytes } from '../util/describe.js'
import { JobIds } from './job-ids.js'
import type { ClusterView, RunFailure, RunSummary } from './run-summary.js'
import type { RunJournal } from '../journal/journal.js'
import type { ResumePoint } from '../journal/resume-point.js'
import { chainsField, runProgress } from './run-progress.js'
import { MAX_CHUNK_ITEMS } from './chunks.js'
import type { RunProgress } from './run-progress.js'
import type { ChunklessListener } from './worker-features.js'

/** `run()` was stopped by its AbortSignal: sinks were closed as failed (nothing committed), nothing summed up. */
export class RunAbortedError extends GridError {
  static override name = 'RunAbortedError'
}

import type { SinkWriter } from './sink-feed.js'
export type { SinkWriter }

/**
 * Opens a sink. `resume`: a resumed run continues the sink where the journal left it (`position`: the file
 * size after its last journaled write, 0 if none) instead of starting it afresh.
 */
export type SinkOpener = (spec: SinkSpec, resume?: { readonly position: number }) => Promise<SinkWriter>

export interface FlowRunInit {
  readonly spec: FlowSpec
  readonly graph: FlowGraph
  readonly functions: ReadonlyMap<string, FunctionRef>
  readonly openSource: SourceOpener
  readonly openSink: SinkOpener
  readonly highWater?: number
  readonly now?: () => number
  /** Where finished jobs and sink writes are recorded as they happen. */
  readonly journal?: RunJournal
  /** Resume an interrupted run: journaled jobs are replayed, items the sinks wrote are not written again. */
  readonly resume?: ResumePoint
  /** Where job ids come from (default 1, 2, 3 …); a RunBoard places them in its slot (job-ids.ts). */
  readonly jobIds?: JobIds
}

export type { ClusterView, RunFailure, RunSummary } from './run-summary.js'
export type { RunProgress, StageProgress } from './run-progress.js'

/** Items waiting for sinks above which no more jobs are handed out (a slow sink throttles the flow). */
export const SINK_HIGH_WATER = 16384
const SOURCE_CHUNK = 1024
/** Items of a split file source read per pull (below the high-water mark): the largest chunk. */
const ITEM_SOURCE_PIECE = MAX_CHUNK_ITEMS
const LEASE_CHECK_MS = 1000

export class FlowRun {
  /** The run's job id space: a RunBoard places it in a slot before the first job is handed out. */
  readonly jobIds: JobIds
  /** Private: others read it through progress(), clusters(), queued and the methods below, never by hand. */
  private readonly state: RunState
  private readonly listeners = new Set<() => void>()
  private readonly sideListeners = new Set<(name: string, value: SideValue) => void>()
  private readonly refusedListeners = new Set<(worker: string) => void>()
  private readonly cursors = new Map<string, SourceCursor>()
  private readonly sinks: SinkFeed
  private readonly now: () => number
  private wakeLoop: () => void = () => {}
  private notifyQueued = false
  private started = 0
  private aborted = false

  constructor (private readonly init: FlowRunInit) {
    this.jobIds = init.jobIds ?? new JobIds()
    this.state = new RunState({ ...init, jobIds: this.jobIds, journal: init.journal != null })
    this.state.onSideValue((name, value) => { for (const listener of this.sideListeners) listener(name, value) })
    this.state.onRefused(worker => { for (const listener of this.refusedListeners) listener(worker) })
    this.now = init.now ?? (() => Date.now())
    this.sinks = new SinkFeed(init.journal, init.resume, () => this.changed())
  }

  /** Hands out up to `max` jobs. `leased`: the worker may vanish, so jobs expire (network peers). */
  takeJobs (max: number, worker: string, leased = false): Job[] {
    if (this.sinks.pending > SINK_HIGH_WATER || this.sinks.error != null || this.aborted) return []
    const jobs = this.state.takeJobs(max, worker, leased ? this.now() : undefined)
    const replayed = this.state.takeReplayedDeliveries()
    if (replayed.length > 0) {
      this.sinks.deliver(replayed)
      this.changed()
    }
    return jobs
  }

  complete (outcomes: readonly JobOutcome[]): void {
    for (const outcome of outcomes) {
      const deliveries = this.state.complete(outcome)
      if (deliveries != null) this.sinks.deliver(deliveries)
    }
    // journaled before their items reach any sink: a crash in between replays them, never loses them
    if (this.init.journal != null) {
      this.init.journal.jobsDone(this.state.takeJournalRecords())
      this.init.journal.chunksDone(this.state.takeChunkRecords())
    }
    this.changed()
  }

  /**
   * A network worker joined (with the labels from its hello): it may be a member of clusters. Its threads
   * (a stage with maxInstances never puts more of its jobs on one worker) and features decide what it gets
   * (core/run/worker-caps.ts).
   */
  join (worker: string, joined: WorkerJoin): void {
    if (this.state.workerJoined(worker, joined.labels, joined)) this.changed()
  }

  /** The current value of a side input, if it has one. */
  sideValue (name: string): SideValue | undefined {
    return this.state.sideValues.get(name)
  }

  /**
   * Publishes a new value of a side input (named by the stream id stages read it as): jobs handed out from
   * now on see it. Returns its version.
   */
  publishSide (name: string, bytes: Uint8Array): number {
    const version = this.state.setSideValue(name, bytes)
    this.changed()
    return version
  }

  /** Calls `listener` with every new side input value. */
  onSide (listener: (name: string, value: SideValue) => void): () => void {
    this.sideListeners.add(listener)
    return () => this.sideListeners.delete(listener)
  }

  /** Whether verification refused `worker` (it disagreed with the quorum too often): it must not rejoin. */
  isRefused (worker: string): boolean {
    return this.state.isRefused(worker)
  }

  /** Calls `listener` once per worker refused by verification (its jobs are already back in the queues). */
  /** Stages that run chained, each chain head first (core/run/chain-plan.ts; empty when none). */
  get chains (): ReadonlyArray<readonly string[]> {
    return this.state.chains.chains
  }

  onRefused (listener: (worker: string) => void): () => void {
    this.refusedListeners.add(listener)
    return () => this.refusedListeners.delete(listener)
  }

  /**
   * Calls `listener` once per worker whose hello does not offer `chunks` while this run has chunked stages
   * (`stages`): it gets none of their work. Workers seen before the call are reported at once.
   */
  onChunkless (listener: ChunklessListener): void {
    this.state.chunkless.onChunkless(listener)
  }

  /** A worker left: its jobs go back to the queues, and it leaves its clusters. */
  release (worker: string): void {
    const released = this.state.release(worker)
    if (released > 0 || this.state.membership.hasClusters) this.changed()
  }

  /** Calls `listener` (coalesced, asynchronously) whenever new jobs may be available. Returns an unsubscribe. */
  onWork (listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Jobs waiting to be handed out now (cheap: for dispatch loops sizing their next batch). */
  get queued (): number {
    return this.state.itemsQueued
  }

  /** Each cluster's members now; undefined when the flow declares no clusters. */
  clusters (): Record<string, ClusterView> | undefined {
    return this.state.membership.hasClusters ? this.state.membership.snapshot() : undefined
  }

  /** Totals and per-stage figures now (cheap: sampled by displays a few times a second). */
  progress (): RunProgress {
    return runProgress({ state: this.state, cursors: this.cursors.values(), clusters: this.clusters(), verified: this.verified })
  }

  /**
   * Runs the flow to its end. `signal` stops it early: no more jobs are handed out, sources are closed, sinks
   * are closed with `ok` false and not committed (a resumed run continues them), and it rejects with
   * RunAbortedError.
   */
  async run (options: { readonly signal?: AbortSignal } = {}): Promise<RunSummary> {
    const { signal } = options
    signal?.throwIfAborted()
    const onAbort = (): void => { this.aborted = true; this.changed() }
    signal?.addEventListener('abort', onAbort, { once: true })
    this.started = this.now()
    const { spec } = this.init
    for (const source of Object.values(spec.sources)) this.cursors.set(source.name, this.init.openSource(source))
    const resume = this.init.resume
    for (const sink of Object.values(spec.sinks)) {
      this.sinks.add(sink.name, await this.init.openSink(sink, resume != null ? { position: resume.sinkPosition(sink.name) ?? 0 } : undefined))
    }
    const open = new Set(this.cursors.keys())
    // sources with `index`: each item's position is its tag, carried to the sinks by what derives from it
    const positions = new Map(Object.values(spec.sources).filter(s => s.kind === 'client' && s.index === true).map(s => [s.name, 0]))
    const leaseTimer = setInterval(() => {
      if (this.state.expireLeases(this.now()) > 0) this.changed()
    }, LEASE_CHECK_MS)
    try {
      for (;;) {
        if (this.aborted) break
        let pulled = false
        for (const name of open) {
          if (this.aborted) break
          // a split file source reads its next piece while a piece's worth still waits, so the workers never
          // wait for the read (its items are cut into chunks of up to MAX_CHUNK_ITEMS as they ask)
          const split = this.state.splitsItems(name)
          const budget = split ? this.state.sourceBudget(ITEM_SOURCE_PIECE) : Math.min(this.state.sourceBudget(), SOURCE_CHUNK)
          if (budget <= 0) continue
          const cursor = this.cursors.get(name)!
          if (cursor.readRange != null && this.state.splitsRange(name)) {
            // a piece of the range, cut into chunks as workers ask: the items are never encoded here
            const range = cursor.readRange(MAX_CHUNK_ITEMS)
            if (range == null) {
              open.delete(name)
              this.sinks.deliver(this.state.sourceExhausted(name))
            } else this.sinks.deliver(this.state.offerSourceRange(name, range))
            pulled = true
            // a resumed run replays journaled pieces without queueing anything: let timers and I/O in between
            if (this.init.resume != null) await new Promise(resolve => setTimeout(resolve, 0))
            continue
          }
          const items = await cursor.read(split ? ITEM_SOURCE_PIECE : budget)
          if (split && items.length > 0) this.state.offerSourceItems(name, items)
          else if (items.length === 0) {
            open.delete(name)
            this.sinks.deliver(this.state.sourceExhausted(name))
          } else {
            const at = positions.get(name)
            if (at != null) positions.set(name, at + items.length)
            items.forEach((item, i) => { this.sinks.deliver(this.state.offerSourceItem(name, item, at != null ? String(at + i) : undefined)) })
          }
          pulled = true
        }
        this.notify()
        if (this.sinks.error != null && this.state.jobsOut === 0) break
        if (this.state.isSettled() && this.sinks.idle) break
        if (!pulled) await new Promise<void>(resolve => { this.wakeLoop = resolve })
      }
    } finally {
      clearInterval(leaseTimer)
      signal?.removeEventListener('abort', onAbort)
      for (const cursor of this.cursors.values()) await cursor.close()
    }
    if (this.aborted) {
      // closed as failed and never committed: outputs written so far stay where a resumed run continues them
      for (const sink of this.sinks.writers.values()) await sink.close(false).catch(() => { /* being stopped anyway */ })
      throw new RunAbortedError(`flow "${spec.name}" was stopped before it ended`)
    }
    for (const [name, sink] of this.sinks.writers) {
      try {
        await sink.close(this.state.failure == null && this.sinks.error == null)
      } catch (err) {
        this.sinks.fail(name, err)
      }
    }
    // only a whole run replaces outputs: a failed one leaves the previous files as they were
    for (const [name, sink] of this.sinks.writers) {
      if (this.state.failure != null || this.sinks.error != null) break
      await sink.commit?.().catch(err => { this.sinks.fail(name, err) })
    }
    return this.summary()
  }

  private summary (): RunSummary {
    const stages = this.state.stageCounts()
    const counts = Object.values(stages)
    const failure = this.state.failure
    const runFailure: RunFailure | undefined = failure != null
      ? { stage: failure.stage, input: describeBytes(failure.input), attempts: failure.attempts, error: failure.error }
      : this.sinks.error != null ? { stage: '(sink)', input: '', attempts: 1, error: this.sinks.error } : undefined
    return {
      ok: runFailure == null,
      failure: runFailure,
      jobsDone: counts.reduce((n, c) => n + c.done, 0),
      jobsFailed: counts.reduce((n, c) => n + c.failed, 0),
      jobsRetried: counts.reduce((n, c) => n + c.retried, 0),
      stages,
      perWorker: Object.fromEntries(this.state.perWorker),
      wallMs: this.now() - this.started,
      ...this.clustersField(),
      ...(this.verified ? { verification: this.state.verification.snapshot() } : {}),
      ...(this.state.chunkless.count > 0 ? { workersWithoutChunks: this.state.chunkless.count } : {}),
      ...chainsField(this.state),
      ...(this.init.resume != null ? { resumed: { jobsReplayed: counts.reduce((n, c) => n + c.replayed, 0), sinkItemsSkipped: this.init.resume.skipped } } : {})
    }
  }

  private get verified (): boolean {
    return Object.values(this.init.spec.stages).some(s => s.verify != null)
  }

  private clustersField (): { clusters?: Record<string, ClusterView> } {
    const clusters = this.clusters()
    return clusters != null ? { clusters } : {}
  }

  private changed (): void {
    const wake = this.wakeLoop
    this.wakeLoop = () => {}
    wake()
    this.notify()
  }

  private notify (): void {
    if (this.notifyQueued) return
    this.notifyQueued = true
    queueMicrotask(() => {
      this.notifyQueued = false
      for (const listener of this.listeners) listener()
    })
  }
}
