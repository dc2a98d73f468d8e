/**
 * An in-memory job stream for worker tests: two ends, where what one sends is encoded, decoded and checked by
 * the receiver's protocol guard, as the wire does (a message a guard refuses fails the test).
 */
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../core/codec.js'
import type { SessionChannel } from '../../core/peer/session-channel.js'
import { isCoordinatorMessage, isWorkerMessage } from '../../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerMessage } from '../../core/protocol/job-messages.js'

/** One end of an in-memory channel: what is sent is encoded, decoded and checked by the receiver's guard. */
export class End<In, Out> implements SessionChannel<In, Out> {
  readonly sent: Out[] = []
  closed = false
  other!: End<Out, In>
  private handler: (message: In) => void = () => {}
  private readonly closeHandlers: Array<(reason?: Error) => void> = []
  constructor (private readonly guard: (v: unknown) => v is In) {}

  send (message: Out): void {
    if (this.closed) throw new Error('channel closed')
    this.sent.push(message)
    const bytes = encodeValue(message)
    queueMicrotask(() => { this.other.receive(decodeValue(bytes)) })
  }

  async close (): Promise<void> {
    await new Promise<void>(resolve => queueMicrotask(resolve)) // what was sent is delivered first
    this.shut()
    this.other.shut()
  }

  onMessage (handler: (message: In) => void): void { this.handler = handler }
  onClose (handler: (reason?: Error) => void): void { this.closeHandlers.push(handler) }

  private receive (value: unknown): void {
    if (this.closed) return
    assert.ok(this.guard(value), `the guard accepts ${JSON.stringify(value)}`)
    this.handler(value)
  }

  private shut (): void {
    if (this.closed) return
    this.closed = true
    for (const h of this.closeHandlers) h()
  }
}

export function pair (): { worker: End<CoordinatorMessage, WorkerMessage>, coordinator: End<WorkerMessage, CoordinatorMessage> } {
  const worker = new End<CoordinatorMessage, WorkerMessage>(isCoordinatorMessage)
  const coordinator = new End<WorkerMessage, CoordinatorMessage>(isWorkerMessage)
  worker.other = coordinator
  coordinator.other = worker
  return { worker, coordinator }
}
