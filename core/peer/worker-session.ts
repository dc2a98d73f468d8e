/**
 * The coordinator side of one worker's job stream: checks the hello, hands out jobs only against credits,
 * feeds results to the board (the runs the coordinator hosts, or one FlowRun), and on leave or disconnect
 * puts the worker's jobs back in the queues.
 */
import type { JobBoard } from '../grid/job-board.js'
import type { SessionChannel } from './session-channel.js'
import { FEATURE_CHAINS, FEATURE_CHUNKS, FEATURE_ITEM_CHUNKS, FEATURE_RECALL, FEATURE_SIDE_INPUTS, JOB_PROTOCOL_VERSION, MAX_RECALL_IDS, jobToWire, outcomeFromWire } from '../protocol/job-messages.js'
import { chunkFieldsOf } from '../protocol/chunk-fields.js'
import { coordinatorProof, newJoinNonce, verifyJoinProof } from '../protocol/join-proof.js'
import { MAX_JOB_MESSAGES_PER_SECOND, PerSecondLimit } from './peer-limits.js'
import type { Job } from '../jobs.js'
import type { CoordinatorMessage, WorkerInfo, WorkerMessage } from '../protocol/job-messages.js'
import { describeRefusal, describeSessionEnd, isBreach } from './session-reasons.js'
import type { Refusal, SessionEnd } from './session-reasons.js'

/** Jobs per `jobs` message: big enough to amortise framing, small enough to keep frames far below the cap. */
/** Close reasons that mean the peer sent what the protocol forbids (see core/protocol/errors.ts). */
const PROTOCOL_VIOLATIONS = new Set(['FrameTooLargeError', 'MalformedFrameError', 'ProtocolViolationError'])

export const MAX_JOBS_PER_MESSAGE = 1024
/**
 * Jobs one worker may hold at once (granted credits + jobs sent and not yet answered): twice the most an
 * honest worker's credit window asks for (core/peer/credits.ts, 8192), so a peer that pulls without
 * end cannot lease the whole queue and starve everyone else.
 */
export const MAX_JOBS_IN_FLIGHT_PER_WORKER = 16_384
/** A worker that was challenged has this long to prove it knows the join secret. */
export const JOIN_PROOF_TIMEOUT_MS = 10_000

/** Why a worker whose outputs disagreed with the quorum too often (core/run/verification.ts) is refused. */
export const REFUSED_BY_VERIFICATION = describeRefusal({ kind: 'verification' })

/** The join secret and the two Noise-authenticated peer ids a proof must be bound to. */
export interface SessionAuth {
  readonly secret: string
  readonly workerPeer: string
  readonly coordinatorPeer: string
}

export interface WorkerSessionEvents {
  joined?: (id: string, info: WorkerInfo) => void
  left?: (id: string, reason: string, end: SessionEnd) => void
  /** The stream was closed because the peer broke the protocol (bad frame, bad message). */
  violation?: (reason: string) => void
  /**
   * The worker was refused and its stream closed, or it left before proving the join secret (then `breach` is
   * false: a worker whose secret differs does not trust this coordinator's proof and leaves without
   * answering); `breach`: for breaking a rule (no or a wrong join proof, a result for a job it does not hold),
   * which counts against the peer.
   */
  refused?: (reason: string, breach: boolean, refusal: Refusal) => void
  /** Results came with the time the worker's thread spent on their batch. */
  worked?: (id: string, jobs: number, busyMs: number) => void
}

type CoordinatorChannel = SessionChannel<WorkerMessage, CoordinatorMessage>

export class WorkerSession {
  private credits = 0
  private info: WorkerInfo | undefined
  private unsubscribe: (() => void) | undefined
  private ended = false
  private finished = false
  /** Side input name → the version this worker was sent. */
  private readonly sideSent = new Map<string, number>()
  /**
   * Ids of the jobs sent and not yet answered (with the credits, bounded by MAX_JOBS_IN_FLIGHT_PER_WORKER):
   * a worker may only report results for these, so no peer can complete (poison) a job leased to another.
   */
  private readonly held = new Set<number>()
  /** Held jobs this worker was told to drop: it answers each once, with a result or in `dropped`. */
  private readonly recalled = new Set<number>()
  /** Set while a challenge waits for its proof. */
  private nonce: Uint8Array | undefined
  private proofTimer: ReturnType<typeof setTimeout> | undefined
  private readonly rate = new PerSecondLimit(MAX_JOB_MESSAGES_PER_SECOND)

  /** `id` names the worker in reports and leases (unique per connection, e.g. `name@peerId`). */
  constructor (
    private readonly board: JobBoard,
    private readonly channel: CoordinatorChannel,
    private readonly flowName: string,
    private readonly runId: string,
    private readonly makeId: (info: WorkerInfo) => string,
    private readonly events: WorkerSessionEvents = {},
    /** With a join secret: no welcome and no job before a valid proof. */
    private readonly auth?: SessionAuth
  ) {
    channel.onMessage(message => { this.onMessage(message) })
    channel.onClose(reason => {
      // only a peer that broke the protocol earns a strike: resets, aborts and half-closed streams race with
      // honest leaves (pause, SIGKILL, reconnect) and must not get an honest worker banned
      if (reason != null && PROTOCOL_VIOLATIONS.has(reason.name)) this.events.violation?.(`${reason.name}: ${reason.message}`)
      else this.leftUnproven()
      this.end({ kind: 'disconnected', cause: reason?.message })
    })
  }

  id: string | undefined

  /** Tells the worker the flow is over (a one-shot coordinator; a standing one never says it). */
  finish (ok: boolean): void {
    if (this.ended || this.finished) return
    this.finished = true
    this.send({ t: 'done', ok })
  }

  async close (): Promise<void> {
    await this.channel.close()
  }

  private send (message: CoordinatorMessage): void {
    try {
      this.channel.send(message)
    } catch (err) {
      // the channel closed under us: onClose ends the session and releases its jobs
      if (!this.ended) this.end({ kind: 'send-failed', cause: (err as Error).message })
    }
  }

  private onMessage (message: WorkerMessage): void {
    if (this.ended) return
    if (this.rate.take('stream') !== 'ok') {
      this.refuse({ kind: 'flood', limit: MAX_JOB_MESSAGES_PER_SECOND })
      return
    }
    switch (message.t) {
      case 'hello': {
        if (this.info != null) return
        if (message.v !== JOB_PROTOCOL_VERSION) {
          this.refuse({ kind: 'version', version: message.v })
          return
        }
        this.info = message.worker
        this.features = message.features
        if (this.auth == null) {
          this.admit()
          return
        }
        this.nonce = newJoinNonce()
        this.proofTimer = setTimeout(() => { this.refuse({ kind: 'proof-timeout', ms: JOIN_PROOF_TIMEOUT_MS }) }, JOIN_PROOF_TIMEOUT_MS)
        this.challenge(this.auth, this.nonce, message.nonce)
        break
      }
      case 'proof':
        if (this.auth == null || this.nonce == null) return // nothing asked: a stray proof gains nothing
        void this.check(this.auth, this.nonce, message.proof)
        this.nonce = undefined
        break
      case 'pull':
        // credits granted before the welcome count, but never beyond the in-flight cap
        this.credits = Math.min(this.credits + message.credits, Math.max(0, MAX_JOBS_IN_FLIGHT_PER_WORKER - this.held.size))
        this.pump()
        break
      case 'results':
        for (const result of message.results) {
          if (!this.held.delete(result[0])) {
            this.refuse({ kind: 'not-held', job: result[0] })
            return
          }
          if (this.recalled.size > 0) this.recalled.delete(result[0])
        }
        this.board.complete(message.results.map(outcomeFromWire), this.id)
        if (message.busyMs != null && this.id != null) this.events.worked?.(this.id, message.results.length, message.busyMs)
        break
      case 'dropped':
        // recalled jobs it will not answer: their runs ended, so nothing goes to the board
        for (const id of message.ids) {
          if (!this.recalled.delete(id) || !this.held.delete(id)) {
            this.refuse({ kind: 'not-recalled', job: id })
            return
          }
        }
        break
      case 'bye':
        this.leftUnproven()
        this.end({ kind: 'left' })
        void this.channel.close()
        break
    }
  }

  private features: readonly string[] | undefined

  /**
   * Sends the challenge; to a worker that sent a nonce (it has a secret and wants this coordinator to prove
   * it first), with this coordinator's proof over that nonce.
   */
  private challenge (auth: SessionAuth, nonce: Uint8Array, workerNonce: Uint8Array | undefined): void {
    if (workerNonce == null) {
      this.send({ t: 'challenge', nonce })
      return
    }
    coordinatorProof(auth.secret, workerNonce, auth.coordinatorPeer, auth.workerPeer).then(proof => {
      if (!this.ended) this.send({ t: 'challenge', nonce, proof })
    }, (err: Error) => { this.refuse({ kind: 'coordinator-proof-failed', cause: err.message }) })
  }

  /** A worker that goes away while challenged did not join: say so (its secret may differ from ours). */
  private leftUnproven (): void {
    if (this.ended || this.auth == null || this.nonce == null) return
    const refusal: Refusal = { kind: 'left-unproven' }
    this.events.refused?.(describeRefusal(refusal), isBreach(refusal), refusal)
  }

  private async check (auth: SessionAuth, nonce: Uint8Array, proof: Uint8Array): Promise<void> {
    clearTimeout(this.proofTimer)
    let ok = false
    try {
      ok = proof.length > 0 && await verifyJoinProof(auth.secret, nonce, auth.workerPeer, auth.coordinatorPeer, proof)
    } catch { /* a malformed proof is a wrong one */ }
    if (this.ended) return
    if (ok) this.admit()
    else this.refuse({ kind: proof.length === 0 ? 'no-secret' : 'wrong-proof' })
  }

  /** Welcome and join the board: from here on the worker gets jobs (once a run has some). */
  private admit (): void {
    const info = this.info!
    const id = this.makeId(info)
    if (this.board.isRefused(id)) {
      this.refuse({ kind: 'verification' })
      return
    }
    this.id = id
    this.send({ t: 'welcome', v: JOB_PROTOCOL_VERSION, flow: this.flowName, run: this.runId })
    // cluster membership comes from the declared labels; each kind of work goes only to workers whose hello
    // announced its feature (core/run/worker-caps.ts)
    const can = (feature: string): boolean => this.features?.includes(feature) === true
    this.board.join(this.id, { labels: info.labels, threads: info.threads, sideInputs: can(FEATURE_SIDE_INPUTS), chunks: can(FEATURE_CHUNKS), itemChunks: can(FEATURE_ITEM_CHUNKS), chains: can(FEATURE_CHAINS) })
    const offWork = this.board.onWork(() => { this.pump() })
    const offRefused = this.board.onRefused(worker => { if (worker === this.id) this.refuse({ kind: 'verification' }) })
    const offRecall = this.features?.includes(FEATURE_RECALL) === true ? this.board.onRecall?.(recalled => { this.recall(recalled) }) : undefined
    this.unsubscribe = () => { offWork(); offRefused(); offRecall?.() }
    this.events.joined?.(this.id, info)
    this.pump()
  }

  private refuse (refusal: Refusal): void {
    if (this.ended) return
    const reason = describeRefusal(refusal)
    this.send({ t: 'refused', reason })
    this.events.refused?.(reason, isBreach(refusal), refusal)
    this.end({ kind: 'refused', refusal })
    void this.channel.close()
  }

  private pump (): void {
    if (this.ended || this.id == null) return
    while (this.credits > 0) {
      const jobs = this.board.takeJobs(Math.min(this.credits, MAX_JOBS_PER_MESSAGE), this.id, true)
      if (jobs.length === 0) return
      this.credits -= jobs.length
      for (const job of jobs) this.held.add(job.id)
      const side = this.sideOf(jobs)
      const chunks = chunkFieldsOf(jobs)
      const wire = jobs.map(jobToWire)
      this.send(side == null && chunks == null ? { t: 'jobs', jobs: wire } : { t: 'jobs', jobs: wire, ...(side != null ? { side } : {}), ...chunks })
    }
  }

  /** Tells the worker to drop the jobs it holds that are no longer wanted (their run ended). */
  private recall (wanted: (id: number) => boolean): void {
    if (this.ended) return
    const ids: number[] = []
    for (const id of this.held) {
      if (wanted(id) && !this.recalled.has(id)) {
        ids.push(id)
        this.recalled.add(id)
      }
    }
    for (let i = 0; i < ids.length; i += MAX_RECALL_IDS) this.send({ t: 'recall', ids: ids.slice(i, i + MAX_RECALL_IDS) })
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
        const value = this.board.sideValue(job.side)
        if (value != null && this.sideSent.get(job.side) !== value.version) {
          this.sideSent.set(job.side, value.version)
          this.send({ t: 'side', name: job.side, version: value.version, value: value.bytes })
        }
      }
      ids.push(job.id)
    }
    return byName == null ? undefined : [...byName]
  }

  private end (end: SessionEnd): void {
    if (this.ended) return
    this.ended = true
    clearTimeout(this.proofTimer)
    this.unsubscribe?.()
    if (this.id != null) {
      this.board.release(this.id)
      this.events.left?.(this.id, describeSessionEnd(end), end)
    }
  }
}
