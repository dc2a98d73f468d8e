/**
 * How many jobs a worker asks for (pull credits). Enough to keep every thread busy across a network round
 * trip when jobs are tiny; few when jobs are heavy, so that one worker does not hoard the last jobs of a
 * flow while others idle. Learns the cost per job like TCP's window: starts small, grows with evidence.
 */
import { JobCost } from './job-cost.js'

/** Work a worker holds ahead, in milliseconds of computation per thread. */
const WINDOW_MS = 50
const MIN_PER_THREAD = 2
const MAX_CREDITS = 8192

export class CreditWindow {
  private readonly cost = new JobCost()

  constructor (private readonly threads: number) {}

  observe (jobs: number, busyMs: number): void {
    this.cost.observe(jobs, busyMs)
  }

  /** Jobs the worker should have granted or held at any time. */
  target (): number {
    const msPerJob = this.cost.msPerJob
    const perThread = msPerJob == null ? MIN_PER_THREAD : Math.max(MIN_PER_THREAD, Math.ceil(WINDOW_MS / msPerJob))
    return Math.min(MAX_CREDITS, perThread * this.threads)
  }
}
