/**
 * The client's side of one submitted run: reads its file sources when the coordinator pulls, writes its
 * sinks when it delivers (each operation acknowledged once done, so the coordinator knows what is on disk),
 * and follows its progress until `done` or `cancelled`. It survives reconnects: the coordinator reopens
 * cursors and sinks where the run stands (see node-peer/coordinator/submit/client-endpoint.ts), and a sink
 * reopened at a position continues its partial file from there.
 */
import { errorToData } from '../../core/errors.js'
import { TypedEventEmitter } from '@libp2p/interface'
import type { FlowSpec } from '../../core/flow/model.js'
import type { GridMessage, RunProgressMessage } from '../../core/protocol/submit-messages.js'
import type { ClientMessage } from '../../core/protocol/submit-messages.js'
import type { RunSummary, SinkWriter } from '../../core/run/flow-run.js'
import type { SourceCursor, SourceOpener } from '../../core/run/sources.js'

export type LocalSinkOpener = (name: string, resume?: { readonly position: number }) => Promise<SinkWriter>

export interface ClientRunComponents {
  readonly spec: FlowSpec
  readonly openSource: SourceOpener
  readonly openSink: LocalSinkOpener
}

/** How a run ended, as its client saw it. */
export type RunOutcome =
  | { readonly kind: 'done', readonly summary: RunSummary }
  | { readonly kind: 'cancelled', readonly reason: string }

export interface ClientRunEvents {
  'progress': CustomEvent<RunProgressMessage>
  /** The run is ending (before its open sink operations are waited for: a sink that waits on a reader can let go). */
  'ending': CustomEvent<RunOutcome>
}

interface Outbound { send: (message: ClientMessage) => void }

export class ClientRun extends TypedEventEmitter<ClientRunEvents> {
  private readonly cursors = new Map<number, SourceCursor>()
  private readonly sinks = new Map<string, SinkWriter>()
  /** Sink operations run one after another, in the order the coordinator sent them. */
  private sinkChain: Promise<void> = Promise.resolve()
  private out: Outbound | undefined
  private settle!: (outcome: RunOutcome) => void
  readonly outcome: Promise<RunOutcome>
  latest: RunProgressMessage | undefined
  ended = false

  constructor (readonly runId: string, readonly flow: string, private readonly components: ClientRunComponents) {
    super()
    this.outcome = new Promise(resolve => { this.settle = resolve })
  }

  /** Messages go out on this stream from now on (after a reconnect, the new one). */
  use (out: Outbound | undefined): void {
    this.out = out
  }

  /** A message from the coordinator about this run. */
  receive (message: GridMessage): void {
    switch (message.t) {
      case 'source-open': void this.openCursor(message.cursor, message.source, message.skip); break
      case 'pull': void this.pull(message.cursor, message.max); break
      case 'sink': this.sinkOp(message); break
      case 'progress':
        this.latest = message
        this.safeDispatchEvent('progress', { detail: message })
        break
      case 'done':
        void this.finish({ kind: 'done', summary: message.summary as unknown as RunSummary })
        break
      case 'cancelled':
        void this.finish({ kind: 'cancelled', reason: message.reason })
        break
      default: break
    }
  }

  /** Asks the coordinator to cancel the run (`outcome` then settles as cancelled). */
  cancel (): void {
    this.send({ t: 'cancel' })
  }

  /** Closes what is open (sinks as failed: nothing committed) and ends the run for this client. */
  async abandon (reason: string): Promise<void> {
    await this.finish({ kind: 'cancelled', reason })
  }

  private send (message: ClientMessage): void {
    try {
      this.out?.send(message)
    } catch { /* the stream closed: the coordinator sends the rest again after the reconnect */ }
  }

  private async finish (outcome: RunOutcome): Promise<void> {
    if (this.ended) return
    this.ended = true
    this.safeDispatchEvent('ending', { detail: outcome })
    // a done run's sinks were closed and committed by the coordinator's own operations; anything else open
    // now is left as it is (a cancelled run: partial files stay beside their targets)
    await this.sinkChain
    for (const cursor of this.cursors.values()) await cursor.close().catch(() => {})
    if (outcome.kind === 'cancelled') for (const sink of this.sinks.values()) await sink.close(false).catch(() => {})
    this.settle(outcome)
  }

  private async openCursor (id: number, name: string, skip: number): Promise<void> {
    const spec = this.components.spec.sources[name]
    if (spec == null) return
    await this.cursors.get(id)?.close()
    const cursor = this.components.openSource(spec)
    this.cursors.set(id, cursor)
    try {
      // a cursor reopened after a reconnect continues where the coordinator stopped receiving
      for (let left = skip; left > 0;) {
        const items = await cursor.read(Math.min(left, 4096))
        if (items.length === 0) break
        left -= items.length
      }
    } catch (err) {
      this.send({ t: 'source-failed', cursor: id, error: errorToData(err) })
    }
  }

  private async pull (id: number, max: number): Promise<void> {
    const cursor = this.cursors.get(id)
    if (cursor == null) return
    try {
      const items = await cursor.read(max)
      const { done, total } = cursor.progress()
      this.send({ t: 'items', cursor: id, items, end: items.length === 0, done, ...(total != null ? { total } : {}) })
    } catch (err) {
      this.send({ t: 'source-failed', cursor: id, error: errorToData(err) })
    }
  }

  private sinkOp (message: Extract<GridMessage, { t: 'sink' }>): void {
    this.sinkChain = this.sinkChain.then(async () => {
      try {
        this.send({ t: 'ack', seq: message.seq, ...await this.applySinkOp(message) })
      } catch (err) {
        this.send({ t: 'sink-failed', seq: message.seq, error: errorToData(err) })
      }
    })
  }

  private async applySinkOp (message: Extract<GridMessage, { t: 'sink' }>): Promise<{ position?: number, keepsWrites?: boolean }> {
    const { sink: name } = message
    const writer = this.sinks.get(name)
    switch (message.op) {
      case 'open': {
        // reopened after a reconnect or a coordinator restart: the old writer's unacknowledged tail is dropped
        await writer?.close(false).catch(() => {})
        const opened = await this.components.openSink(name, message.position != null && message.position > 0 ? { position: message.position } : undefined)
        this.sinks.set(name, opened)
        return { keepsWrites: opened.keepsWrites === true, ...(opened.position != null ? { position: opened.position() } : {}) }
      }
      case 'write':
        if (writer == null) throw new Error(`sink "${name}" was written before it was opened`)
        await writer.write(message.items, message.tags?.map(t => t ?? undefined))
        return writer.position != null ? { position: writer.position() } : {}
      case 'close':
        await writer?.close(message.ok)
        return {}
      case 'commit':
        await writer?.commit?.()
        this.sinks.delete(name)
        return {}
    }
  }
}
