/**
 * The standing coordinator's side of the submit protocol (core/protocol/submit-messages.ts): accepts flows
 * from proven clients, validates them here (remote-flow.ts), runs them on the Coordinator beside each other
 * with the client's priority, and keeps each run's sources and sinks on its client (client-endpoint.ts).
 *
 * - A client sees and controls only its own runs (its peer id, from the Noise-authenticated connection).
 * - A client that goes away: its run waits for it (pulls and sink writes pause); unless it was submitted
 *   with `detach`, the run is cancelled when no client attached within the grace period.
 * - With a RunStore (`--state`), every accepted run is kept with its journal until it is over; a coordinator
 *   started again on the same state resumes them all and their clients attach again by themselves.
 */
import { randomUUID } from 'node:crypto'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { errorToData, FlowValidationError } from '../../../core/errors.js'
import { JournalError } from '../../../core/journal/journal.js'
import { fetchCode } from '../../../core/protocol/code-fetch.js'
import { SUBMIT_PROTOCOL } from '../../../core/protocol/submit-messages.js'
import type { ClientMessage, RunListing } from '../../../core/protocol/submit-messages.js'
import type { RunSummary } from '../../../core/run/flow-run.js'
import { openSource } from '../../sources.js'
import type { Coordinator } from '../coordinator.js'
import { CoordinatorInterruptedError } from '../errors.js'
import { emit } from '../events.js'
import type { HostedRun } from '../hosted-run.js'
import { ClientEndpoint } from './client-endpoint.js'
import { ClientSession } from './client-session.js'
import type { SessionTrust } from './client-session.js'
import { planFromSubmit } from './remote-flow.js'
import type { ModuleSource } from './remote-flow.js'
import type { RunStore, StoredRun } from './run-store.js'

/** How long a run waits for its client to come back before it is cancelled (unless submitted with detach). */
export const DEFAULT_CLIENT_GRACE_MS = 30_000
/** Runs one client may have going at once. */
export const DEFAULT_MAX_RUNS_PER_CLIENT = 8
/** Module bytes one run may bring. */
export const DEFAULT_MAX_MODULE_BYTES = 64 * 1024 * 1024
/** Finished runs are listed (and their result handed to a client that attaches) this long. */
const KEEP_FINISHED_MS = 60 * 60 * 1000
/** How often an attached client hears its run's progress. */
const PROGRESS_MS = 500
/** Tries to fetch a module from its client before the submission is refused. */
const MODULE_FETCH_ATTEMPTS = 3
/** Client streams at once per connection (a run each, plus a list or attach). */
const MAX_STREAMS_PER_CONNECTION = 16

export interface SubmitServerInit extends Omit<SessionTrust, 'coordinatorPeer'> {
  readonly store?: RunStore
  readonly graceMs?: number
  readonly maxRunsPerClient?: number
  readonly maxModuleBytes?: number
}

export interface SubmitServerComponents {
  readonly node: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol' | 'peerId'>
  readonly coordinator: Coordinator
  /** One strike against a peer (the network's strikes and bans). */
  readonly misbehaved: (peer: string, what: string) => void
}

type RunState = 'running' | 'done' | 'failed' | 'cancelled'

interface ServedRun {
  readonly record: StoredRun
  readonly flow: string
  readonly hosted: HostedRun
  readonly endpoint: ClientEndpoint
  readonly abort: AbortController
  state: RunState
  session: ClientSession | undefined
  grace: ReturnType<typeof setTimeout> | undefined
  cancelledBecause?: string
}

export class SubmitServer {
  private readonly runs = new Map<string, ServedRun>()
  private readonly sessions = new Set<ClientSession>()
  /** Module fetches going on, by hash (shared by clients submitting the same module at once). */
  private readonly fetching = new Map<string, Promise<Uint8Array>>()
  private progressTimer: ReturnType<typeof setInterval> | undefined
  private stopping = false
  /** While the kept runs are being resumed: an attach waits for it, so "no such run" is never said too early. */
  private resuming: Promise<void> | undefined

  constructor (private readonly components: SubmitServerComponents, private readonly init: SubmitServerInit) {}

  /** Serves the protocol; resumes every run the store kept. */
  async start (): Promise<void> {
    const { node } = this.components
    await node.handle(SUBMIT_PROTOCOL, (stream: Stream, connection: Connection) => { this.accept(stream, connection) }, {
      maxInboundStreams: MAX_STREAMS_PER_CONNECTION,
      maxOutboundStreams: 1
    })
    this.progressTimer = setInterval(() => { this.sendProgress() }, PROGRESS_MS)
    this.progressTimer.unref()
    this.resuming = (async () => { for (const record of await this.init.store?.list() ?? []) await this.resume(record) })()
    try {
      await this.resuming
    } finally {
      this.resuming = undefined
    }
  }

  /** Stops serving; runs going on are interrupted (kept in the store for the next start). */
  async stop (): Promise<void> {
    this.stopping = true
    clearInterval(this.progressTimer)
    await this.components.node.unhandle(SUBMIT_PROTOCOL).catch(() => {})
    for (const run of this.runs.values()) {
      clearTimeout(run.grace)
      if (run.state === 'running') {
        run.abort.abort()
        run.endpoint.close('the coordinator is stopping')
      }
    }
    await Promise.allSettled([...this.sessions].map(async s => await s.channel.close()))
  }

  /** Runs this server hosts (all clients'), for the serve CLI and the dashboard. */
  listing (owner?: string): RunListing[] {
    return [...this.runs.entries()].filter(([, r]) => owner == null || r.record.owner === owner).map(([id, r]) => {
      const progress = r.hosted.flow.progress()
      const waiting = r.state === 'running' && !r.endpoint.attached
      return { run: id, flow: r.flow, state: waiting ? 'waiting' : r.state, jobsDone: progress.jobsDone, queued: progress.queued, submittedAt: r.record.submittedAt, detach: r.record.detach }
    })
  }

  private accept (stream: Stream, connection: Connection): void {
    const trust: SessionTrust = { secret: this.init.secret, allowed: this.init.allowed, coordinatorPeer: this.components.node.peerId.toString() }
    const session = new ClientSession(stream, connection.remotePeer.toString(), trust, {
      submit: async (s, m) => { await this.submit(s, m) },
      attach: (s, run) => {
        if (this.resuming == null) this.attach(s, run)
        else void this.resuming.catch(() => {}).then(() => { this.attach(s, run) })
      },
      list: s => {
        s.send({ t: 'runs', runs: this.listing(s.peer) })
        s.ready()
      },
      cancel: s => { this.cancel(s.runId!, 'cancelled by its client') },
      closed: s => { this.closed(s) },
      misbehaved: (peer, what) => {
        // said once per breach (as for workers), then counted: three strikes and the peer is banned for a while
        emit(this.components.coordinator, 'peer:misbehaved', { peer, kind: 'violation', reason: what })
        this.components.misbehaved(peer, what)
      }
    })
    this.sessions.add(session)
  }

  private async submit (session: ClientSession, message: Extract<ClientMessage, { t: 'submit' }>): Promise<void> {
    if (this.stopping) return session.refuse('stopping', 'this coordinator is stopping')
    const limit = this.init.maxRunsPerClient ?? DEFAULT_MAX_RUNS_PER_CLIENT
    const going = [...this.runs.values()].filter(r => r.record.owner === session.peer && r.state === 'running').length
    if (going >= limit) return session.refuse('limit', `this client already has ${going} runs going, the most this coordinator takes from one client; wait for one to end`)
    const record: StoredRun = {
      v: 1, run: randomUUID(), owner: session.peer, file: message.file, text: message.text, files: message.files,
      priority: message.priority, detach: message.detach, submittedAt: Date.now()
    }
    const client = peerIdFromString(session.peer)
    const modules: ModuleSource = async hash => {
      const stored = await this.init.store?.getModule(hash)
      if (stored != null) return stored
      const bytes = await this.fetchModule(client, hash)
      await this.init.store?.putModule(hash, bytes)
      return bytes
    }
    let run: ServedRun
    try {
      run = await this.host(record, modules, false)
    } catch (err) {
      if (!(err instanceof FlowValidationError) && !(err instanceof JournalError)) {
        // a module the client could not hand over, …: its problem, said as such
        session.send({ t: 'invalid', error: errorToData(new FlowValidationError(message.file, '', `a flow whose modules the client serves (${(err as Error).message})`)) })
      } else {
        session.send({ t: 'invalid', error: errorToData(err) })
      }
      session.ready()
      return
    }
    session.send({ t: 'accepted', run: record.run, flow: run.flow })
    this.bind(session, record.run, run)
  }

  private attach (session: ClientSession, id: string): void {
    const run = this.runs.get(id)
    if (run == null) return session.refuse('unknown-run', `no run ${id} on this coordinator (finished runs are kept ${KEEP_FINISHED_MS / 60_000} minutes)`)
    if (run.record.owner !== session.peer) return session.refuse('not-yours', `run ${id} was submitted by another client`, true)
    const { file, text, files } = run.record
    session.send({ t: 'attached', run: id, flow: run.flow, file, text, files })
    this.bind(session, id, run)
  }

  private bind (session: ClientSession, id: string, run: ServedRun): void {
    if (run.session != null && run.session !== session) {
      // a newer stream of the same client replaces the old one (a reconnect racing the old stream's close)
      run.endpoint.detach(run.session.channel)
      void run.session.channel.close()
    }
    clearTimeout(run.grace)
    run.grace = undefined
    run.session = session
    session.bind(id, run.endpoint)
    run.endpoint.attach(session.channel)
  }

  private closed (session: ClientSession): void {
    this.sessions.delete(session)
    const id = session.runId
    const run = id != null ? this.runs.get(id) : undefined
    if (run == null || run.session !== session) return
    run.session = undefined
    run.endpoint.detach(session.channel)
    if (run.state === 'running' && !run.record.detach && !this.stopping) this.startGrace(id!, run)
  }

  private startGrace (id: string, run: ServedRun): void {
    const ms = this.init.graceMs ?? DEFAULT_CLIENT_GRACE_MS
    run.grace = setTimeout(() => { this.cancel(id, `its client was gone for ${Math.round(ms / 1000)} s (submit with --detach to keep a run going without its client)`) }, ms)
    run.grace.unref()
  }

  /** Cancels a submitted run going on (its client is told `reason`); false when there is no such run. */
  cancel (id: string, reason: string): boolean {
    const run = this.runs.get(id)
    if (run == null || run.state !== 'running') return false
    run.cancelledBecause = reason
    run.abort.abort()
    run.endpoint.close(reason)
    return true
  }

  /** Validates and prepares a run, keeps it in the store, and starts it on the coordinator. */
  private async host (record: StoredRun, modules: ModuleSource, resume: boolean): Promise<ServedRun> {
    const { coordinator } = this.components
    const { store } = this.init
    const plan = await planFromSubmit(record, modules, this.init.maxModuleBytes ?? DEFAULT_MAX_MODULE_BYTES)
    const endpoint = new ClientEndpoint()
    // items fed from the client's code cannot be read again after a restart: such a run is neither journaled
    // nor kept (its client, attaching again after a restart, hears that the run is unknown)
    const keep = Object.values(plan.spec.sources).every(s => s.kind !== 'client') ? store : undefined
    const hosted = await coordinator.prepare(plan, keep != null ? { journal: { path: keep.journalPath(record.run), resume, fresh: false } } : {}, {
      // range and values sources are in the flow itself; file and code-fed sources are the client's
      openSource: spec => spec.kind === 'lines' || spec.kind === 'jsonl' || spec.kind === 'client' ? endpoint.openCursor(spec.name) : openSource(spec),
      openSink: async (spec, at) => await endpoint.openSink(spec.name, at?.position ?? 0)
    }, record.run)
    await keep?.save(record)
    const run: ServedRun = { record, flow: plan.spec.name, hosted, endpoint, abort: new AbortController(), state: 'running', session: undefined, grace: undefined }
    this.runs.set(record.run, run)
    void this.drive(record.run, run)
    return run
  }

  /**
   * A module from the client that submitted it. Clients submitting the same module at once share one fetch
   * (if that one fails, this client is asked itself), and a fetch is tried again before the submission is
   * refused: a code stream can be cut while a busy client's node is still settling.
   */
  private async fetchModule (client: PeerId, hash: string): Promise<Uint8Array> {
    const shared = this.fetching.get(hash)
    if (shared != null) {
      try {
        return await shared
      } catch { /* that client could not hand it over: ask ours */ }
    }
    const fetching = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fetchCode(this.components.node, client, hash)
        } catch (err) {
          if (attempt >= MODULE_FETCH_ATTEMPTS) throw err
          await new Promise(resolve => setTimeout(resolve, 200 * attempt))
        }
      }
    })()
    this.fetching.set(hash, fetching)
    try {
      return await fetching
    } finally {
      if (this.fetching.get(hash) === fetching) this.fetching.delete(hash)
    }
  }

  /** A kept run after a restart: resumed from its journal; its client attaches again by itself. */
  private async resume (record: StoredRun): Promise<void> {
    const store = this.init.store!
    const modules: ModuleSource = async hash => {
      const bytes = await store.getModule(hash)
      if (bytes == null) throw new Error(`module ${hash} is missing from ${store.dir}`)
      return bytes
    }
    try {
      const run = await this.host(record, modules, true)
      if (!record.detach) this.startGrace(record.run, run)
    } catch (err) {
      emit(this.components.coordinator, 'log', { message: `run ${record.run} could not be resumed and is dropped: ${(err as Error).message}` })
      await store.remove(record.run)
    }
  }

  private async drive (id: string, run: ServedRun): Promise<void> {
    let summary: RunSummary | undefined
    try {
      ({ summary } = await this.components.coordinator.run(run.hosted, { priority: run.record.priority, signal: run.abort.signal }))
    } catch (err) {
      if (err instanceof CoordinatorInterruptedError && run.cancelledBecause == null) return // stopping: kept for the next start
      run.state = 'cancelled'
      const reason = run.cancelledBecause ?? (err as Error).message
      emit(this.components.coordinator, 'log', { message: `< run ${id} cancelled: ${reason}` })
      run.endpoint.sendFinal({ t: 'cancelled', reason })
    }
    if (summary != null) {
      run.state = summary.ok ? 'done' : 'failed'
      run.endpoint.sendFinal({ t: 'done', ok: summary.ok, summary: { ...summary } })
    }
    await this.init.store?.remove(id)
    setTimeout(() => { if (this.runs.get(id) === run) this.runs.delete(id) }, KEEP_FINISHED_MS).unref()
  }

  private sendProgress (): void {
    const workers = this.components.coordinator.workerCount
    for (const run of this.runs.values()) {
      if (run.state !== 'running' || !run.endpoint.attached) continue
      const p = run.hosted.flow.progress()
      run.endpoint.send({ t: 'progress', jobsDone: p.jobsDone, jobsOut: p.jobsOut, queued: p.queued, workers, ...(p.sourceFraction != null ? { sourceFraction: p.sourceFraction } : {}) })
    }
  }
}
