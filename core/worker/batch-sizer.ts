/**
 * Chooses how many jobs go into one batch for a worker: many tiny jobs per batch to amortise messaging,
 * one heavy job per batch so the last jobs of a flow spread over all threads instead of queuing behind
 * each other. It aims at batches of about TARGET_BATCH_MS, learning the cost per job as results come in.
 */
const TARGET_BATCH_MS = 20
const MAX_BATCH = 512
import { JobCost } from './job-cost.js'

export class BatchSizer {
  private readonly cost = new JobCost()

  // Start with single jobs: until a cost is measured a job may take seconds, and a big first batch would
  // leave other threads idle behind it. Tiny jobs grow the batch within a few round trips.
  constructor (private readonly initial = 1, private readonly max = MAX_BATCH) {}

  /** Records a batch of `jobs` that took `elapsedMs` on one thread. */
  observe (jobs: number, elapsedMs: number): void {
    this.cost.observe(jobs, elapsedMs)
  }

  /** Batch size for the next batch; never more than `available` split fairly over `slots` consumers. */
  next (available: number, slots: number): number {
    const msPerJob = this.cost.msPerJob
    const byCost = msPerJob == null ? this.initial : Math.floor(TARGET_BATCH_MS / msPerJob)
    const fair = Math.ceil(available / Math.max(1, slots))
    return Math.max(1, Math.min(this.max, byCost, fair))
  }
}
