/**
 * A submitted run's sources and sinks, which live on its client: file sources are read there and streamed in
 * on demand (one pull per cursor at a time: the run's own backpressure reaches the client's disk), and sink
 * items are written there, each operation acknowledged once done. The endpoint outlives the client's stream:
 * while no client is attached, pulls and sink operations wait; when a client (the same process after a
 * reconnect, or another one with `--attach`) attaches, each open cursor is reopened where the run stopped
 * reading, each open sink is reopened at the position of its last acknowledged write (a file sink cuts its
 * partial file back to it), sinks that only write at close get every item again, and what was not
 * acknowledged is sent again. So every item reaches the client's files once.
 */
import { errorFromData, SinkError } from '../../../core/errors.js'
import type { SinkWriter } from '../../../core/run/flow-run.js'
import type { SourceCursor } from '../../../core/run/sources.js'
import type { ClientMessage, GridMessage, SinkOp } from '../../../core/protocol/submit-messages.js'
import { MAX_ITEMS_PER_MESSAGE } from '../../../core/protocol/submit-messages.js'

/** What the endpoint sends on: the attached client's channel. */
export interface ClientChannel {
  send: (message: GridMessage) => void
}

/** Items per pull: large enough to amortise a round trip, small enough to keep frames far below the cap. */
const PULL_ITEMS = 1024
/** Bytes of sink items per `write` message (a FlowRun write is split into messages of about this size). */
const WRITE_BYTES = 1024 * 1024

interface PendingOp {
  readonly sink: string
  readonly op: SinkOp
  seq: number
  readonly resolve: (ack: { position?: number, keepsWrites?: boolean }) => void
  readonly reject: (err: Error) => void
}

class RemoteCursor implements SourceCursor {
  received = 0
  private done = 0
  private total: number | undefined
  private ended = false
  private waiting: { max: number, resolve: (items: Uint8Array[]) => void, reject: (err: Error) => void } | undefined

  constructor (readonly id: number, readonly source: string, private readonly endpoint: ClientEndpoint) {}

  async read (max: number): Promise<Uint8Array[]> {
    if (this.ended) return []
    if (this.waiting != null) throw new Error(`source "${this.source}": one read at a time`)
    return await new Promise((resolve, reject) => {
      this.waiting = { max: Math.min(max, PULL_ITEMS, MAX_ITEMS_PER_MESSAGE), resolve, reject }
      this.endpoint.send({ t: 'pull', cursor: this.id, max: this.waiting.max })
    })
  }

  progress (): { done: number, total?: number } {
    return this.total != null ? { done: this.done, total: this.total } : { done: this.done }
  }

  async close (): Promise<void> {
    this.ended = true
    this.endpoint.closeCursor(this)
  }

  /** Sent again to a newly attached client. */
  reopen (): void {
    if (this.ended) return
    this.endpoint.send({ t: 'source-open', cursor: this.id, source: this.source, skip: this.received })
    if (this.waiting != null) this.endpoint.send({ t: 'pull', cursor: this.id, max: this.waiting.max })
  }

  /** Returns false when the items were not asked for (a protocol breach). */
  items (message: Extract<ClientMessage, { t: 'items' }>): boolean {
    const waiting = this.waiting
    if (waiting == null || message.items.length > waiting.max || (message.items.length === 0 && !message.end)) return false
    this.waiting = undefined
    this.received += message.items.length
    this.done = message.done
    this.total = message.total
    if (message.end) this.ended = true
    waiting.resolve([...message.items])
    return true
  }

  failed (error: Error): void {
    const waiting = this.waiting
    this.waiting = undefined
    this.ended = true
    waiting?.reject(error)
  }
}

interface RemoteSinkState {
  opened: boolean
  /** The client's file size after the last acknowledged write (where a reopened sink continues). */
  position: number
  /** Whether writes are final once acknowledged; false (PNG): every item is sent again after a reattach. */
  keepsWrites: boolean
  /** Items of a sink that does not keep writes, sent again after a reattach. */
  readonly replay: Array<{ items: readonly Uint8Array[], tags?: ReadonlyArray<string | null> }>
  /** Set when an operation the endpoint re-sent by itself (a reattach's reopen or replay) failed on the client. */
  failure?: Error
}

export class ClientEndpoint {
  private channel: ClientChannel | undefined
  private nextCursor = 1
  private nextSeq = 1
  private readonly cursors = new Map<number, RemoteCursor>()
  private readonly sinks = new Map<string, RemoteSinkState>()
  /** Unacknowledged sink operations, in the order they were made (and must be done). */
  private readonly pending = new Map<number, PendingOp>()
  /** Messages for the client that only matter once (the end of the run): kept until a client attaches. */
  private final: GridMessage | undefined
  private closed = false

  get attached (): boolean {
    return this.channel != null
  }

  /** A client attached: everything in flight is sent to it again (see the header). */
  attach (channel: ClientChannel): void {
    this.channel = channel
    for (const cursor of this.cursors.values()) cursor.reopen()
    const ops = [...this.pending.values()]
    this.pending.clear()
    for (const [name, sink] of this.sinks) {
      if (!sink.opened) continue
      // nobody awaits these re-sent operations: a failure fails the sink, so the run's next operation on it does
      const fail = (err: Error): void => { this.failSink(name, err) }
      this.queue(name, { op: 'open', position: sink.position }, () => {}, fail)
      if (!sink.keepsWrites) for (const write of sink.replay) this.queue(name, { op: 'write', ...write }, () => {}, fail)
    }
    for (const op of ops) {
      // an `open` not yet acknowledged was just sent again above (for an opened sink) or is sent now
      op.seq = this.nextSeq++
      this.pending.set(op.seq, op)
      this.send({ t: 'sink', seq: op.seq, sink: op.sink, ...op.op })
    }
    if (this.final != null) this.send(this.final)
  }

  /** The client's stream closed: everything waits for the next client. */
  detach (channel: ClientChannel): void {
    if (this.channel === channel) this.channel = undefined
  }

  send (message: GridMessage): void {
    try {
      this.channel?.send(message)
    } catch {
      this.channel = undefined // the stream closed under us; the session detaches us
    }
  }

  /** Sent now if a client is attached, else on the next attach (the run's end, its cancellation). */
  sendFinal (message: GridMessage): void {
    this.final = message
    this.send(message)
  }

  openCursor (source: string): SourceCursor {
    const cursor = new RemoteCursor(this.nextCursor++, source, this)
    this.cursors.set(cursor.id, cursor)
    this.send({ t: 'source-open', cursor: cursor.id, source, skip: 0 })
    return cursor
  }

  closeCursor (cursor: RemoteCursor): void {
    this.cursors.delete(cursor.id)
  }

  async openSink (name: string, position = 0): Promise<SinkWriter> {
    const state: RemoteSinkState = { opened: false, position, keepsWrites: true, replay: [] }
    this.sinks.set(name, state)
    const ack = await this.op(name, { op: 'open', position })
    state.opened = true
    state.keepsWrites = ack.keepsWrites !== false
    const writer: SinkWriter = {
      keepsWrites: state.keepsWrites,
      position: () => state.position,
      write: async (items, tags) => {
        const parts = splitWrite(items, tags)
        if (!state.keepsWrites) state.replay.push(...parts)
        for (const part of parts) {
          const done = await this.op(name, { op: 'write', ...part })
          if (done.position != null) state.position = done.position
        }
      },
      close: async ok => { await this.op(name, { op: 'close', ok }) },
      commit: async () => { await this.op(name, { op: 'commit' }) }
    }
    return writer
  }

  /** A message from the attached client about this run; false when it breaks the protocol. */
  receive (message: ClientMessage): boolean {
    switch (message.t) {
      case 'items': {
        const cursor = this.cursors.get(message.cursor)
        return cursor == null ? true : cursor.items(message) // a closed cursor's late items are dropped
      }
      case 'source-failed':
        this.cursors.get(message.cursor)?.failed(errorFromData(message.error))
        return true
      case 'ack': {
        const op = this.pending.get(message.seq)
        if (op == null) return false
        this.pending.delete(message.seq)
        op.resolve(message)
        return true
      }
      case 'sink-failed': {
        const op = this.pending.get(message.seq)
        if (op == null) return false
        this.pending.delete(message.seq)
        op.reject(new SinkError(`sink "${op.sink}" on the client: ${message.error.message}`))
        return true
      }
      default:
        return false
    }
  }

  /**
   * The run is over for good (cancelled, or the coordinator stops): whatever waits on the client fails now,
   * and later sink operations (the run closing its sinks) are no-ops.
   */
  close (reason: string): void {
    this.closed = true
    for (const op of this.pending.values()) op.reject(new SinkError(`sink "${op.sink}": ${reason}`))
    this.pending.clear()
    for (const cursor of this.cursors.values()) cursor.failed(new SinkError(reason))
    this.cursors.clear()
  }

  private async op (sink: string, op: SinkOp): Promise<{ position?: number, keepsWrites?: boolean }> {
    if (this.closed) return {}
    const failure = this.sinks.get(sink)?.failure
    if (failure != null) throw failure
    return await new Promise((resolve, reject) => { this.queue(sink, op, resolve, reject) })
  }

  /** A sink failed outside an awaited operation: its waiting operations fail now, later ones at once. */
  private failSink (name: string, err: Error): void {
    const sink = this.sinks.get(name)
    if (sink == null || sink.failure != null) return
    sink.failure = err
    for (const [seq, op] of this.pending) {
      if (op.sink !== name) continue
      this.pending.delete(seq)
      op.reject(err)
    }
  }

  private queue (sink: string, op: SinkOp, resolve: PendingOp['resolve'], reject: PendingOp['reject']): void {
    const seq = this.nextSeq++
    this.pending.set(seq, { sink, op, seq, resolve, reject })
    this.send({ t: 'sink', seq, sink, ...op })
  }
}

/** Splits one FlowRun write into messages under WRITE_BYTES and MAX_ITEMS_PER_MESSAGE items each. */
function splitWrite (items: readonly Uint8Array[], tags?: ReadonlyArray<string | undefined>): Array<{ items: Uint8Array[], tags?: Array<string | null> }> {
  const parts: Array<{ items: Uint8Array[], tags?: Array<string | null> }> = []
  let at = 0
  while (at < items.length) {
    let bytes = 0
    let end = at
    while (end < items.length && end - at < MAX_ITEMS_PER_MESSAGE && (end === at || bytes + items[end].length <= WRITE_BYTES)) bytes += items[end++].length
    const part: { items: Uint8Array[], tags?: Array<string | null> } = { items: items.slice(at, end) }
    if (tags != null) part.tags = tags.slice(at, end).map(t => t ?? null)
    parts.push(part)
    at = end
  }
  return parts
}
