/**
 * Which coordinator a worker's link may join, and when it moves on to another. Pure: no timers, no I/O; the
 * link (coordinator-link.ts) tells it what it sees and when.
 *
 * - Trusted: the peer ids given (bootstrap addresses, --coordinator), for good. With `acceptFirst` (mDNS)
 *   and none given, any coordinator until one is joined, which is then pinned (with a join secret, the
 *   first that PROVED it, so a decoy found first cannot capture the pin).
 * - Staying: the coordinator joined is the only one worked for until it has been gone (no connection, no
 *   session) for `forgetAfterMs`. A restarted coordinator with the same identity is back well within that.
 *   Then it is forgotten, as flowr's executor "returns to the initial state": a learned pin is dropped
 *   (back to discovery), and with `failover` the next of the given list is tried.
 * - Without `failover`, any given coordinator that is connected may be joined (grid-worker's --bootstrap
 *   list); with it, one at a time, in list order, starting after the last one forgotten or failed (the page).
 */

/**
 * How long a joined coordinator may be gone before the link moves on: a restart (same identity, found again
 * by mDNS within ~10 s or re-dialled within ~5 s) fits well inside it, and a person watching a volunteer sit
 * idle waits no longer than half a minute.
 */
export const DEFAULT_FORGET_AFTER_MS = 30_000

export interface CoordinatorChoiceInit {
  /** Peer ids trusted for good, in order of preference. */
  readonly coordinators?: readonly string[]
  /** With none given, join the first coordinator found, then pin it. */
  readonly acceptFirst?: boolean
  /** With several given: one at a time, the next in the list only once the one joined is forgotten. */
  readonly failover?: boolean
  /** Gone this long, the joined coordinator is forgotten (default DEFAULT_FORGET_AFTER_MS; Infinity: never). */
  readonly forgetAfterMs?: number
}

/** What `observe` concluded. */
export type HeldState =
  | { readonly kind: 'none' } // nothing held, or it is here
  | { readonly kind: 'gone', readonly forgetInMs: number } // look again then
  | { readonly kind: 'forgotten', readonly coordinator: string, readonly goneMs: number }

export class CoordinatorChoice {
  private readonly listed: readonly string[]
  private readonly pinned: Set<string>
  private readonly forgetAfterMs: number
  private held: string | undefined
  /** When the held coordinator was first seen gone. */
  private goneSince: number | undefined
  /** With failover: where in `listed` the next look starts. */
  private cursor = 0

  constructor (private readonly init: CoordinatorChoiceInit) {
    this.listed = [...new Set(init.coordinators ?? [])]
    this.pinned = new Set(this.listed)
    this.forgetAfterMs = init.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS
  }

  /** The coordinator the link stays with (a learned pin, or with failover the one of the list joined). */
  get current (): string | undefined {
    return this.held
  }

  /** Whether `peer` is pinned now (listed, or learned by joining it). */
  isPinned (peer: string): boolean {
    return this.pinned.has(peer)
  }

  /** Peer ids to try among `connected`, best first. */
  candidates (connected: readonly string[]): string[] {
    if (this.held != null) return connected.includes(this.held) ? [this.held] : []
    if (this.init.acceptFirst === true && this.pinned.size === 0) return [...connected]
    if (this.init.failover === true) {
      const n = this.listed.length
      return this.listed.map((_, i) => this.listed[(this.cursor + i) % n]).filter(peer => connected.includes(peer))
    }
    return connected.filter(peer => this.pinned.has(peer))
  }

  /** The link joined `peer` (welcomed, or with a secret: it proved it). */
  hold (peer: string): void {
    if (!this.pinned.has(peer)) {
      this.pinned.add(peer)
      this.held = peer
    } else if (this.init.failover === true) {
      this.held = peer
    }
    this.goneSince = undefined
  }

  /** A session with `peer` could not be opened or it did not prove the secret: with failover, try the next first. */
  failed (peer: string): void {
    if (this.held == null) this.skip(peer)
  }

  /**
   * What the link sees at `now`: whether the held coordinator is here (connected, or in a session). Forgets it
   * once it has been gone forgetAfterMs; a return in between starts the count again.
   */
  observe (here: (peer: string) => boolean, now: number): HeldState {
    const peer = this.held
    if (peer == null || !Number.isFinite(this.forgetAfterMs) || here(peer)) {
      this.goneSince = undefined
      return { kind: 'none' }
    }
    this.goneSince ??= now
    const goneMs = now - this.goneSince
    if (goneMs < this.forgetAfterMs) return { kind: 'gone', forgetInMs: this.forgetAfterMs - goneMs }
    this.held = undefined
    this.goneSince = undefined
    if (!this.listed.includes(peer)) this.pinned.delete(peer) // a learned pin: back to discovery
    this.skip(peer)
    return { kind: 'forgotten', coordinator: peer, goneMs }
  }

  /** The link stopped watching (paused): the count starts again when it looks next. */
  pause (): void {
    this.goneSince = undefined
  }

  private skip (peer: string): void {
    const i = this.listed.indexOf(peer)
    if (i >= 0) this.cursor = (i + 1) % this.listed.length
  }
}
