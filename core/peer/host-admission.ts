/**
 * Which new inbound connections the coordinator accepts, per remote host (IP address), decided before any
 * cryptography: a token bucket per host whose rate grows with the workers from that host that have joined.
 *
 * Why a budget that grows with proven peers (and not admission after the join proof): the proof comes after
 * the TCP accept, the Noise handshake (key exchange and signatures: the expensive part) and a job-protocol
 * round trip, so a host flooding us would be paid for in full before it could be judged. The only cheap
 * place to refuse is the raw connection, where all we know is the address. So every host starts with a small
 * budget (`baseRate` new connections a second: enough for a few volunteers or a reconnecting worker), and each
 * worker from that host that joins (with a join secret: proved it) adds `perJoined` a second while it stays.
 * A classroom or office behind one NAT, or a thousand agents on one machine, earn their rate by joining
 * (it doubles about every second while they keep joining); a host that only opens connections never gets
 * past `baseRate`. Refusing is cheap: libp2p closes the socket before the handshake.
 *
 * Platform-neutral and pure apart from the injectable clock.
 */

export interface HostAdmissionInit {
  /** New connections a second from a host with no joined worker (and the burst it may use at once). */
  readonly baseRate: number
  /** Added to a host's rate (and burst) for every worker from it that joined and is still connected. */
  readonly perJoined?: number
  /** Upper bound of any host's rate (default: unbounded but for the joined workers' count). */
  readonly maxRate?: number
  readonly now?: () => number
}

interface Bucket {
  tokens: number
  /** When `tokens` was last brought up to date, ms. */
  at: number
  /** Workers from this host that joined and are still connected. */
  joined: number
}

/** Idle hosts are forgotten after this long with a full bucket and nobody joined (bounds the map). */
const FORGET_MS = 60_000

export class HostAdmission {
  private readonly buckets = new Map<string, Bucket>()
  private readonly baseRate: number
  private readonly perJoined: number
  private readonly maxRate: number
  private readonly now: () => number
  private lastSweep = 0

  constructor (init: HostAdmissionInit) {
    if (!(init.baseRate > 0)) throw new RangeError(`HostAdmission: baseRate must be > 0, got ${init.baseRate}`)
    this.baseRate = init.baseRate
    this.perJoined = init.perJoined ?? 1
    this.maxRate = init.maxRate ?? Infinity
    this.now = init.now ?? Date.now
  }

  /** Whether a new connection from `host` may go on to the handshake now (takes one token if so). */
  admit (host: string): boolean {
    const now = this.now()
    this.sweep(now)
    let bucket = this.buckets.get(host)
    if (bucket == null) {
      bucket = { tokens: this.baseRate, at: now, joined: 0 }
      this.buckets.set(host, bucket)
    }
    this.refill(bucket, now)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  /** A worker from `host` joined: the host's rate grows by `perJoined` while it stays. */
  joined (host: string): void {
    const now = this.now()
    let bucket = this.buckets.get(host)
    if (bucket == null) {
      bucket = { tokens: this.baseRate, at: now, joined: 0 }
      this.buckets.set(host, bucket)
    }
    this.refill(bucket, now)
    bucket.joined++
  }

  /** A worker from `host` that had joined left. */
  left (host: string): void {
    const bucket = this.buckets.get(host)
    if (bucket == null || bucket.joined === 0) return
    this.refill(bucket, this.now())
    bucket.joined--
    bucket.tokens = Math.min(bucket.tokens, this.rate(bucket))
  }

  /** New connections a second `host` may open now. */
  rateOf (host: string): number {
    const bucket = this.buckets.get(host)
    return bucket == null ? this.baseRate : this.rate(bucket)
  }

  /** Hosts tracked now (for tests: the map stays bounded). */
  get hosts (): number {
    return this.buckets.size
  }

  private rate (bucket: Bucket): number {
    return Math.min(this.maxRate, this.baseRate + this.perJoined * bucket.joined)
  }

  private refill (bucket: Bucket, now: number): void {
    const rate = this.rate(bucket)
    // the burst is one second's worth of the current rate
    bucket.tokens = Math.min(rate, bucket.tokens + (now - bucket.at) / 1000 * rate)
    bucket.at = now
  }

  private sweep (now: number): void {
    if (now - this.lastSweep < FORGET_MS) return
    this.lastSweep = now
    for (const [host, bucket] of this.buckets) {
      if (bucket.joined === 0 && now - bucket.at >= FORGET_MS) this.buckets.delete(host)
    }
  }
}
