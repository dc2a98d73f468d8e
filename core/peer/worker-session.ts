/**
 * The coordinator side of one worker's job stream: checks the hello, hands out jobs only against credits,
 * feeds results to the run, and on leave or disconnect puts the worker's jobs back in the queues.
 */
import type { FlowRun } from '../run/flow-run.js'
import type { Channel } from './channel.js'
import { FEATURE_SIDE_INPUTS, JOB_PROTOCOL_VERSION, jobToWire, outcomeFromWire } from '../protocol/job-messages.js'
import type { Job } from '../jobs.js'
import type { CoordinatorMessage, WorkerInfo, WorkerMessage } from '../protocol/job-messages.js'

/** Jobs per `jobs` message: big enough to amortise framing, small enough to keep frames far below the cap. */
export const MAX_JOBS_PER_MESSAGE = 1024

export interface WorkerSessionEvents {
  joined?: (id: string, info: WorkerInfo) => void
  left?: (id: string, reason: string) => void
  /** The stream was closed because the peer broke the protocol (bad frame, bad message). */
  violation?: (reason: string) => void
}

type CoordinatorChannel = Channel<WorkerMessage, CoordinatorMessage>

export class WorkerSession {
  private credits = 0
  private info: WorkerInfo | undefined
  private unsubscribe: (() => void) | undefined
  private ended = false
  /** Side input name → the version this worker was sent. */
  private readonly sideSent = new Map<string, number>()

  /** `id` names the worker in reports and leases (unique per connection, e.g. `name@peerId`). */
  constructor (
    private readonly run: FlowRun,
    private readonly channel: CoordinatorChannel,
    private readonly flowName: string,
    private readonly runId: string,
    private readonly makeId: (info: WorkerInfo) => string,
    private readonly events: WorkerSessionEvents = {}
  ) {
    channel.onMessage(message => { this.onMessage(message) })
    channel.onClose(reason => {
      if (reason != null && reason.name !== 'ChannelClosedError') this.events.violation?.(`${reason.name}: ${reason.message}`)
      this.end(reason != null ? `disconnected (${reason.message})` : 'disconnected')
    })
  }

  id: string | undefined

  /** Tells the worker the flow is over (it may stay connected for the next one). */
  finish (ok: boolean): void {
    if (!this.ended) this.send({ t: 'done', ok })
  }

  async close (): Promise<void> {
    await this.channel.close()
  }

  private send (message: CoordinatorMessage): void {
    try {
      this.channel.send(message)
    } catch (err) {
      // the channel closed under us: onClose ends the session and releases its jobs
      if (!this.ended) this.end(`send failed (${(err as Error).message})`)
    }
  }

  private onMessage (message: WorkerMessage): void {
    if (this.ended) return
    switch (message.t) {
      case 'hello': {
        if (this.info != null) return
        if (message.v !== JOB_PROTOCOL_VERSION) {
          this.send({ t: 'refused', reason: `job protocol version ${message.v} is not supported (this coordinator speaks ${JOB_PROTOCOL_VERSION})` })
          void this.channel.close()
          return
        }
        this.info = message.worker
        this.id = this.makeId(message.worker)
        this.send({ t: 'welcome', v: JOB_PROTOCOL_VERSION, flow: this.flowName, run: this.runId })
        // cluster membership comes from the declared labels; side-input jobs only go to workers that can run them
        this.run.join(this.id, message.worker.labels, message.features?.includes(FEATURE_SIDE_INPUTS) === true, message.worker.threads)
        this.unsubscribe = this.run.onWork(() => { this.pump() })
        this.events.joined?.(this.id, message.worker)
        this.pump()
        break
      }
      case 'pull':
        this.credits += message.credits
        this.pump()
        break
      case 'results':
        this.run.complete(message.results.map(outcomeFromWire))
        break
      case 'bye':
        this.end('left')
        void this.channel.close()
        break
    }
  }

  private pump (): void {
    if (this.ended || this.id == null) return
    while (this.credits > 0) {
      const jobs = this.run.takeJobs(Math.min(this.credits, MAX_JOBS_PER_MESSAGE), this.id, true)
      if (jobs.length === 0) return
      this.credits -= jobs.length
      const side = this.sideOf(jobs)
      this.send(side == null ? { t: 'jobs', jobs: jobs.map(jobToWire) } : { t: 'jobs', jobs: jobs.map(jobToWire), side })
    }
  }

  /**
   * For jobs with a side input: sends each value this worker has not had in its current version yet (before
   * the jobs, on the same ordered stream, so they never arrive first), and lists which jobs read which input.
   */
  private sideOf (jobs: readonly Job[]): Array<[string, number[]]> | undefined {
    let byName: Map<string, number[]> | undefined
    for (const job of jobs) {
      if (job.side == null) continue
      byName ??= new Map()
      let ids = byName.get(job.side)
      if (ids == null) {
        byName.set(job.side, ids = [])
        const value = this.run.sideValue(job.side)
        if (value != null && this.sideSent.get(job.side) !== value.version) {
          this.sideSent.set(job.side, value.version)
          this.send({ t: 'side', name: job.side, version: value.version, value: value.bytes })
        }
      }
      ids.push(job.id)
    }
    return byName == null ? undefined : [...byName]
  }

  private end (reason: string): void {
    if (this.ended) return
    this.ended = true
    this.unsubscribe?.()
    if (this.id != null) {
      this.run.release(this.id)
      this.events.left?.(this.id, reason)
    }
  }
}
