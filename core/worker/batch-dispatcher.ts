/**
 * Keeps a local executor's threads busy: one batch running and one waiting per thread, each cut from a source
 * of jobs at the size the BatchSizer asks for, and learns the cost per job from how long each batch ran.
 * Shared by the network worker (WorkerAgent: jobs the coordinator sent) and the embedded workers
 * (LocalWorkers: jobs taken from the FlowRun directly), so both size and measure batches the same way.
 *
 * Hot path: one array per batch (the batch itself, built by the source) and one promise callback per batch;
 * nothing per job.
 */
import type { Job, JobExecutor, JobOutcome } from '../jobs.js'
import { BatchSizer } from './batch-sizer.js'

/** Where batches come from. */
export interface BatchSource {
  /** Jobs that could be taken now; 0 stops filling. An estimate is fine: `take` may return fewer (or none). */
  available: () => number
  /** Up to `size` jobs, in the order they should run; an empty batch stops filling. */
  take: (size: number) => Job[]
}

/** Where finished batches go. Not called for batches started before the last `reset()`. */
export interface BatchSink {
  /** `busyMs`: how long the batch ran on its thread, without the time it waited in the executor's queue. */
  done: (batch: readonly Job[], outcomes: JobOutcome[], busyMs: number) => void
  /** The executor itself failed the batch (closed, crashed): every job of it needs an outcome. */
  failed: (batch: readonly Job[], err: unknown) => void
}

export interface BatchDispatcherComponents {
  readonly executor: JobExecutor
  readonly source: BatchSource
  readonly sink: BatchSink
}

export class BatchDispatcher {
  private readonly sizer: BatchSizer
  private out = 0
  /** Bumped by reset(): batches of an earlier generation report nothing. */
  private generation = 0
  /** When the last `slots` batches finished: a batch starts running when the batch `slots` before it ends. */
  private readonly finishes: number[] = []

  constructor (private readonly components: BatchDispatcherComponents, sizer = new BatchSizer()) {
    this.sizer = sizer
  }

  /** Batches handed to the executor and not finished yet (of any generation: they still hold a thread). */
  get batchesOut (): number {
    return this.out
  }

  /**
   * Results of the batches out now will be dropped (their jobs were given back elsewhere). They still hold
   * their threads until they end; each that ends then starts what the source holds by that time (the next
   * session's jobs), as nothing else would: the sink hears only of batches of this generation.
   */
  reset (): void {
    this.generation++
  }

  /** Starts batches until every thread has one running and one waiting, or the source is dry. */
  fill (): void {
    const { executor, source } = this.components
    const slots = executor.slots
    while (this.out < 2 * slots) {
      const available = source.available()
      if (available <= 0) return
      const batch = source.take(this.sizer.next(available, slots))
      if (batch.length === 0) return
      this.start(batch, slots)
    }
  }

  private start (batch: Job[], slots: number): void {
    this.out++
    const generation = this.generation
    const submitted = performance.now()
    this.components.executor.run(batch).then(outcomes => {
      this.out--
      if (generation !== this.generation) return this.fill()
      const busy = this.ranFor(submitted, slots)
      this.sizer.observe(batch.length, busy)
      this.components.sink.done(batch, outcomes, busy)
    }, err => {
      this.out--
      if (generation !== this.generation) return this.fill()
      this.components.sink.failed(batch, err)
    })
  }

  /**
   * How long a batch that just finished ran, without the time it waited in the executor's queue behind
   * other batches (counting that wait would make the cost per job look larger the more is queued, and
   * shrink batches and credits for no reason): it started when it was submitted or when the batch `slots`
   * finishes earlier freed a thread, whichever is later.
   */
  private ranFor (submitted: number, slots: number): number {
    const now = performance.now()
    const freed = this.finishes.length >= slots ? this.finishes[this.finishes.length - slots] : 0
    this.finishes.push(now)
    if (this.finishes.length > slots) this.finishes.shift()
    return now - Math.max(submitted, freed)
  }
}
