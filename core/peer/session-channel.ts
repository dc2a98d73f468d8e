/**
 * What a peer session needs from a transport: send typed messages, receive typed messages, learn when the
 * other side is gone. The libp2p stream adapter (core/protocol/frame-channel.ts) and in-memory pairs (tests)
 * implement it, so the session logic is written and tested once.
 */
export interface SessionChannel<In, Out> {
  send (message: Out): void
  /** Flushes what was sent, then closes. */
  close (): Promise<void>
  onMessage (handler: (message: In) => void): void
  /** Called once when the channel is closed, by either side or by an error (then `reason` is set). */
  onClose (handler: (reason?: Error) => void): void
}
