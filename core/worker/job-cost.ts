/**
 * The cost of a job, learned from finished batches: decayed total time over decayed total jobs. Weighting by
 * batch size matters: a batch's time includes fixed costs (a thread hand-off, an event loop busy with the
 * network) that, divided by a handful of jobs, make a tiny job look expensive. A plain moving average of
 * per-job samples then lets a few small batches collapse the batch size and the credit window, which keeps
 * batches small: the grid ran at a fraction of its speed. With sums, a small batch weighs what its jobs weigh.
 */
export class JobCost {
  private time = 0
  private jobs = 0

  /** `keep`: the weight left to the past at each observation (0.7 ≈ the last few batches count most). */
  constructor (private readonly keep = 0.7) {}

  observe (jobs: number, elapsedMs: number): void {
    if (jobs <= 0) return
    this.time = this.time * this.keep + Math.max(elapsedMs, 0.001)
    this.jobs = this.jobs * this.keep + jobs
  }

  /** Milliseconds per job; undefined before the first observation. */
  get msPerJob (): number | undefined {
    return this.jobs > 0 ? this.time / this.jobs : undefined
  }
}
