/**
 * Per-peer abuse limits on the coordinator: a misbehaviour counter that turns repeated protocol breaches
 * into a cooldown during which the peer's connections are refused (by the libp2p connection gater), and a
 * per-second message counter for gossip. Platform-neutral: the clock is injectable for tests.
 */

/** Protocol breaches (bad frames, bad join proofs, excess streams, gossip floods) before a peer is refused. */
export const MAX_STRIKES = 3
/**
 * How long a peer that reached MAX_STRIKES is refused: long enough that a hostile peer's reconnect loop costs
 * it more than us, short enough that an honest peer with a wrong --secret can fix it and come back.
 */
export const BAN_MS = 5 * 60_000
/**
 * Gossip messages per second accepted from one peer. An honest worker sends one heartbeat every 5 s
 * (core/protocol/announce.ts); 10/s leaves room for bursts and other topics and still bounds the work.
 */
export const MAX_GOSSIP_PER_SECOND = 10
/**
 * Messages per second on one job stream. An honest worker sends one `results` (and at most one `pull`) per
 * finished batch: measured here between 200 and 1,000 a second per thread with the tiniest jobs (collatz).
 * 50,000 leaves room for workers with dozens of threads and still cuts a peer that spams small frames
 * (a loop reaches hundreds of thousands a second, shared/PLATFORM.md).
 */
export const MAX_JOB_MESSAGES_PER_SECOND = 50_000

export class PeerStrikes {
  private readonly strikes = new Map<string, number>()
  private readonly bannedUntil = new Map<string, number>()

  constructor (
    private readonly maxStrikes = MAX_STRIKES,
    private readonly banMs = BAN_MS,
    private readonly now: () => number = Date.now
  ) {}

  /** Records a breach; returns true when this one got the peer refused (disconnect it now). */
  strike (peer: string): boolean {
    if (this.isBanned(peer)) return false
    const count = (this.strikes.get(peer) ?? 0) + 1
    if (count < this.maxStrikes) {
      this.strikes.set(peer, count)
      return false
    }
    this.strikes.delete(peer)
    this.bannedUntil.set(peer, this.now() + this.banMs)
    return true
  }

  isBanned (peer: string): boolean {
    const until = this.bannedUntil.get(peer)
    if (until == null) return false
    if (this.now() < until) return true
    this.bannedUntil.delete(peer)
    return false
  }

  /** Strikes held now (for tests and logs). */
  count (peer: string): number {
    return this.strikes.get(peer) ?? 0
  }
}

/** Counts messages per peer in one-second windows; memory is bounded by the peers seen within one second. */
export class PerSecondLimit {
  private window = 0
  private counts = new Map<string, number>()

  constructor (private readonly perSecond: number, private readonly now: () => number = Date.now) {}

  /** Counts one message: 'ok', 'over' (drop it), or 'first-over' (drop it; the first excess this second). */
  take (peer: string): 'ok' | 'over' | 'first-over' {
    const window = Math.floor(this.now() / 1000)
    if (window !== this.window) {
      this.window = window
      this.counts = new Map()
    }
    const count = (this.counts.get(peer) ?? 0) + 1
    this.counts.set(peer, count)
    if (count <= this.perSecond) return 'ok'
    return count === this.perSecond + 1 ? 'first-over' : 'over'
  }
}
