/**
 * The worker side of the job protocol, shared by `grid-worker` (Node) and the browser page: says hello,
 * grants credits, fetches missing modules by hash, runs jobs on the local executor in right-sized batches,
 * and returns results in batches. A graceful leave finishes what it holds before saying bye. Jobs the
 * coordinator recalls (their run ended) are dropped, or stopped while running, and answered as `dropped`.
 *
 * With a join secret the coordinator must prove it first (core/protocol/join-proof.ts): until its challenge
 * carried a valid proof over this session's nonce, the worker grants no credits, answers nothing and takes
 * no job; anything else ends the session with an UntrustedCoordinatorError.
 */
import type { JobExecutor, Job, JobOutcome } from '../jobs.js'
import { BatchDispatcher } from './batch-dispatcher.js'
import { Fifo } from '../util/fifo.js'
import { errorToData } from '../errors.js'
import { COORDINATOR_PROOF_TIMEOUT_MS, UntrustedCoordinatorError } from './coordinator-trust.js'
import type { Trust } from './coordinator-trust.js'
import type { SessionChannel } from '../peer/session-channel.js'
import { CreditWindow } from './credits.js'
import { RecalledJobs } from './recalled-jobs.js'
import { FEATURE_CHAINS, FEATURE_CHUNKS, FEATURE_ITEM_CHUNKS, FEATURE_RECALL, FEATURE_SIDE_INPUTS, JOB_PROTOCOL_VERSION, outcomeToWire } from '../protocol/job-messages.js'
import { SideValues } from '../protocol/side-values.js'
import { missingModule, modulesOf, receivedJobs } from './received-jobs.js'
import { joinProof, newJoinNonce, verifyCoordinatorProof } from '../protocol/join-proof.js'
import type { CoordinatorMessage, WorkerInfo, WorkerMessage } from '../protocol/job-messages.js'

export interface WorkerAgentInit {
  readonly executor: JobExecutor
  /** What the hello says about this worker; a function is asked again at each session (the thread count may change). */
  readonly info: WorkerInfo | (() => WorkerInfo)
  /** Fetches a module's bytes by content hash (verified by the fetcher). */
  readonly fetchModule: (hash: string) => Promise<Uint8Array>
  readonly events?: WorkerEvents
  /**
   * The join secret, proven (never sent) when a coordinator challenges; with it, only a coordinator that
   * proves it knows the same secret gets an answer and work.
   */
  readonly secret?: string
}

export { COORDINATOR_PROOF_TIMEOUT_MS, UntrustedCoordinatorError } from './coordinator-trust.js'

/** The two ends of a session, from the authenticated connection: what a join proof is bound to. */
export interface SessionPeers {
  readonly self: string
  readonly coordinator: string
}

export interface WorkerEvents {
  welcome?: (flow: string, run: string) => void
  batchDone?: (jobs: number, failed: number, busyMs: number) => void
  /** Recalled jobs were dropped (queued ones, or stopped while running): not counted as done or failed. */
  recalled?: (jobs: number) => void
  flowDone?: (ok: boolean) => void
  refused?: (reason: string) => void
  /** With a secret: the coordinator of this session proved it knows it (before the worker answers). */
  proven?: (coordinator: string) => void
  log?: (line: string) => void
}

export interface WorkerStats {
  jobsDone: number
  jobsFailed: number
  /** Jobs recalled by the coordinator and dropped (counted in items, as done jobs are). */
  jobsRecalled: number
  busyMs: number
}

type WorkerChannel = SessionChannel<CoordinatorMessage, WorkerMessage>

export class WorkerAgent {
  readonly stats: WorkerStats = { jobsDone: 0, jobsFailed: 0, jobsRecalled: 0, busyMs: 0 }
  private readonly modules = new Map<string, Promise<void>>()
  private credits: CreditWindow
  private readonly dispatcher: BatchDispatcher
  private channel: WorkerChannel | undefined
  private granted = 0
  /** Jobs received and not yet reported: queued here, or running in the executor. */
  private held = 0
  /** Items of the range chunks held (job id → count): jobs are counted in items, as the coordinator counts. */
  private readonly chunkItems = new Map<number, number>()
  /** Jobs received, waiting for a free executor slot; batches are cut from here as threads free up. */
  private readonly queue = new Fifo<Job>()
  private readonly recalled = new RecalledJobs()
  /**
   * Bumped per attach, and when a leave said bye: batches of an earlier session report nothing and are not
   * counted (the coordinator re-queued them).
   */
  private session = 0
  private leaving = false
  private idle: (() => void) | undefined
  /** Side input values of the current session (from the job stream, or gossip when that is faster). */
  private sides = new SideValues()
  private runId: string | undefined
  private peers: SessionPeers | undefined
  private trust: Trust = 'open'
  /** The nonce of this session's hello (with a secret): the coordinator's proof must cover it. */
  private helloNonce: Uint8Array | undefined
  /** Set when this session's coordinator failed to prove the secret; attach() returns it. */
  private untrusted: UntrustedCoordinatorError | undefined
  private trustTimer: ReturnType<typeof setTimeout> | undefined

  constructor (private readonly init: WorkerAgentInit) {
    this.credits = new CreditWindow(init.executor.slots)
    const queue = this.queue
    this.dispatcher = new BatchDispatcher({
      executor: init.executor,
      // jobs that arrived in many small messages still travel to the threads in few batches
      source: {
        available: () => queue.size,
        take: size => {
          const batch: Job[] = []
          for (let i = 0; i < size; i++) batch.push(queue.shift()!)
          return batch
        }
      },
      sink: {
        done: (batch, outcomes, busyMs) => {
          const { dropped, kept: results } = this.recalled.sift(outcomes)
          // a batch stopped by a recall says nothing about what its jobs cost
          if (dropped.length === 0) this.credits.observe(batch.length, busyMs)
          this.drop(dropped)
          this.report(results, busyMs)
          this.dispatcher.fill()
        },
        failed: (batch, err) => {
          this.report(batch.map(job => ({ id: job.id, ok: false as const, error: errorToData(err) })), 0)
          this.dispatcher.fill()
        }
      }
    })
  }

  /**
   * Runs one session on `channel`; resolves when the channel closes, with the reason (an
   * UntrustedCoordinatorError when this worker left because the coordinator did not prove the secret).
   */
  async attach (channel: WorkerChannel, peers?: SessionPeers): Promise<Error | undefined> {
    this.channel = channel
    this.peers = peers
    this.session++
    this.chunkItems.clear()
    this.recalled.clear()
    this.dispatcher.reset()
    this.leaving = false
    this.granted = 0
    this.held = 0
    while (this.queue.shift() !== undefined);
    this.sides = new SideValues()
    this.runId = undefined
    // a new session may be a new flow with jobs of another cost: learn again from a small window,
    // or a worker that learned "tiny jobs" would grab every heavy job at once
    this.credits = new CreditWindow(this.init.executor.slots)
    this.untrusted = undefined
    this.trust = this.init.secret == null ? 'open' : 'awaiting'
    this.helloNonce = this.init.secret == null ? undefined : newJoinNonce()
    const closed = new Promise<Error | undefined>(resolve => channel.onClose(resolve))
    channel.onMessage(message => { this.onMessage(message) })
    const info = typeof this.init.info === 'function' ? this.init.info() : this.init.info
    const hello = { t: 'hello', v: JOB_PROTOCOL_VERSION, worker: info, features: [FEATURE_SIDE_INPUTS, FEATURE_CHUNKS, FEATURE_ITEM_CHUNKS, FEATURE_CHAINS, FEATURE_RECALL] } as const
    this.send(this.helloNonce == null ? hello : { ...hello, nonce: this.helloNonce })
    if (this.trust === 'open') this.grant()
    else if (peers == null) this.distrust('no authenticated peer ids for this session, so no proof can be checked')
    else {
      const session = this.session
      this.trustTimer = setTimeout(() => {
        if (session === this.session && this.trust !== 'proven') this.distrust(`no challenge with a valid proof within ${COORDINATOR_PROOF_TIMEOUT_MS} ms`)
      }, COORDINATOR_PROOF_TIMEOUT_MS)
    }
    const reason = await closed
    clearTimeout(this.trustTimer)
    if (this.channel === channel) this.channel = undefined
    return this.untrusted ?? reason
  }

  /**
   * A side input value that came another way (gossipsub): kept if it belongs to the current run and is newer
   * than what is held. Returns whether it was kept.
   */
  offerSide (run: string, name: string, version: number, value: Uint8Array): boolean {
    if (run !== this.runId) return false
    return this.sides.offer(name, { version, bytes: value })
  }

  /** The current value of a side input in this session (for status displays and tests). */
  sideValue (name: string): { version: number, bytes: Uint8Array } | undefined {
    return this.sides.get(name)
  }

  get jobsHeld (): number {
    return this.held
  }

  /**
   * Stops asking for work, finishes the jobs held (up to `timeoutMs`), says bye and closes. Jobs still
   * running after the bye are neither reported nor counted. A later attach() works again.
   */
  async leave (timeoutMs = 10_000): Promise<void> {
    this.leaving = true
    if (this.held > 0) {
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, timeoutMs)
        this.idle = () => { clearTimeout(timer); resolve() }
      })
    }
    const channel = this.channel
    if (channel == null) return
    this.send({ t: 'bye' })
    this.session++
    this.chunkItems.clear()
    this.dispatcher.reset()
    await channel.close()
  }

  private onMessage (message: CoordinatorMessage): void {
    if (this.untrusted != null) return
    if (this.trust === 'awaiting' || this.trust === 'checking') {
      // with a secret, nothing but the challenge (or a refusal) is heard before the coordinator proved itself
      if (message.t === 'refused') this.init.events?.refused?.(message.reason)
      else if (message.t === 'challenge' && this.trust === 'awaiting') void this.checkCoordinator(message.nonce, message.proof)
      else this.distrust(message.t === 'welcome' ? 'it sent `welcome` without a challenge: it has no secret' : `it sent \`${message.t}\` before proving it`)
      return
    }
    switch (message.t) {
      case 'welcome':
        this.runId = message.run
        this.init.events?.welcome?.(message.flow, message.run)
        break
      case 'jobs':
        this.granted = Math.max(0, this.granted - message.jobs.length)
        this.held += message.jobs.length
        void this.accept(receivedJobs(message, this.sides, this.chunkItems))
        break
      case 'side':
        this.sides.offer(message.name, { version: message.version, bytes: message.value })
        break
      case 'done':
        this.init.events?.flowDone?.(message.ok)
        break
      case 'recall':
        this.drop(this.recalled.recall(message.ids, this.queue, this.init.executor))
        break
      case 'refused':
        this.init.events?.refused?.(message.reason)
        break
      case 'challenge':
        // with a secret the one challenge was answered in checkCoordinator; a second one gets nothing
        if (this.trust === 'open') this.answerWithoutSecret()
        break
    }
  }

  /**
   * A challenge to a worker without a secret: answered with an empty proof, so the coordinator refuses with
   * a reason both sides log instead of waiting for a timeout.
   */
  private answerWithoutSecret (): void {
    this.init.events?.log?.('the coordinator asks for a join secret and this worker has none (--secret / EDGE_GRID_SECRET)')
    this.send({ t: 'proof', proof: new Uint8Array(0) })
  }

  /**
   * With a secret: checks the coordinator's proof over this session's hello nonce, and only then answers its
   * challenge and starts granting credits.
   */
  private async checkCoordinator (nonce: Uint8Array, proof: Uint8Array | undefined): Promise<void> {
    this.trust = 'checking'
    const session = this.session
    const secret = this.init.secret!
    const peers = this.peers!
    let ok = false
    try {
      ok = proof != null && await verifyCoordinatorProof(secret, this.helloNonce!, peers.coordinator, peers.self, proof)
    } catch { /* a proof that cannot be checked is a wrong one */ }
    if (session !== this.session || this.untrusted != null) return
    if (!ok) {
      this.distrust(proof == null ? 'its challenge carries no proof: a coordinator older than mutual proof cannot show it' : 'the proof in its challenge is wrong: another secret')
      return
    }
    this.trust = 'proven'
    clearTimeout(this.trustTimer)
    this.init.events?.proven?.(peers.coordinator)
    const answer = await joinProof(secret, nonce, peers.self, peers.coordinator)
    if (session !== this.session) return
    this.send({ t: 'proof', proof: answer })
    this.grant()
  }

  /** Leaves a coordinator that did not prove the secret: says bye (it is owed no answer) and closes. */
  private distrust (detail: string): void {
    if (this.untrusted != null) return
    this.untrusted = new UntrustedCoordinatorError(this.peers?.coordinator ?? '(unknown peer)', detail)
    clearTimeout(this.trustTimer)
    const channel = this.channel
    this.send({ t: 'bye' })
    void channel?.close().catch(() => { /* closed already: attach() resolves through onClose */ })
  }

  /** Queues a message's jobs once their modules are ready (one check per distinct module, not per job). */
  private async accept (jobs: Job[]): Promise<void> {
    const session = this.session
    let failed: Map<string, unknown> | undefined
    for (const hash of modulesOf(jobs)) {
      if (this.init.executor.hasModule(hash)) continue
      try {
        await this.ensureModule(hash)
      } catch (err) {
        (failed ??= new Map()).set(hash, err)
      }
    }
    if (session !== this.session) return
    const arrived = this.recalled.sift(jobs) // recalled while their module was fetched
    jobs = arrived.kept
    this.drop(arrived.dropped)
    if (failed != null) {
      const errors = failed
      this.report(jobs.filter(job => missingModule(job, errors) != null).map(job => ({ id: job.id, ok: false as const, error: errorToData(errors.get(missingModule(job, errors)!)) })), 0)
      jobs = jobs.filter(job => missingModule(job, errors) == null)
    }
    for (const job of jobs) this.queue.push(job)
    this.dispatcher.fill()
  }

  private report (outcomes: JobOutcome[], busyMs: number): void {
    if (outcomes.length === 0) return
    this.held -= outcomes.length
    // counted in items, as the coordinator counts them: a chunk that ran is its items; one that failed is one
    // failure (its items go back to the coordinator's queue and are counted where they run again)
    let done = 0
    let failed = 0
    for (const o of outcomes) {
      const items = this.chunkItems.get(o.id) ?? 1
      this.chunkItems.delete(o.id)
      if (o.ok) done += items
      else failed++
    }
    this.stats.jobsDone += done
    this.stats.jobsFailed += failed
    this.stats.busyMs += busyMs
    this.init.events?.batchDone?.(done + failed, failed, busyMs)
    this.send({ t: 'results', results: outcomes.map(outcomeToWire), busyMs })
    this.answered()
  }

  /** Recalled jobs answered without a result: not counted; their credits come back at once. */
  private drop (ids: number[]): void {
    if (ids.length === 0) return
    this.held -= ids.length
    for (const id of ids) {
      this.stats.jobsRecalled += this.chunkItems.get(id) ?? 1
      this.chunkItems.delete(id)
    }
    this.send({ t: 'dropped', ids })
    this.init.events?.recalled?.(ids.length)
    this.answered()
  }

  /** Jobs were answered: ask for more; with nothing held, no recalled job can come back, and a leave may go on. */
  private answered (): void {
    this.grant()
    if (this.held > 0) return
    this.recalled.clear()
    const idle = this.idle
    this.idle = undefined
    idle?.()
  }

  /**
   * Tops the credits up to the window's target, in steps of at least a quarter of it while work is held:
   * one pull per finished batch would make the coordinator answer with as many small job messages.
   */
  private grant (): void {
    if (this.leaving || this.channel == null || (this.trust !== 'open' && this.trust !== 'proven')) return
    const target = this.credits.target()
    const want = target - this.granted - this.held
    if (want <= 0 || (want < target / 4 && this.granted + this.held > 0)) return
    this.granted += want
    this.send({ t: 'pull', credits: want })
  }

  /** Sends if a session is open; results for a closed session are dropped (the coordinator re-queued them). */
  private send (message: WorkerMessage): void {
    try {
      this.channel?.send(message)
    } catch {
      // closed meanwhile: attach() resolves through onClose
    }
  }

  private async ensureModule (hash: string): Promise<void> {
    if (this.init.executor.hasModule(hash)) return
    let loading = this.modules.get(hash)
    if (loading == null) {
      loading = this.init.fetchModule(hash).then(async bytes => await this.init.executor.addModule(hash, bytes))
      loading.catch(() => this.modules.delete(hash)) // a failed fetch may be retried by a later job
      this.modules.set(hash, loading)
    }
    await loading
  }
}

