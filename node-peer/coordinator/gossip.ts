/**
 * The coordinator's gossipsub side, best effort only (anything that must arrive travels on job streams):
 * it announces every hosted run every COORDINATOR_ANNOUNCE_MS, publishes each new side input value of any
 * hosted run (under its wire name, tagged with the board's id: what workers were told in the welcome),
 * counts the workers that announce themselves, and rate-limits every peer's gossip (too much is a strike).
 */
import type { GossipSub, Message } from '@libp2p/gossipsub'
import { decodeValue } from '../../core/codec.js'
import { MAX_GOSSIP_PER_SECOND, PerSecondLimit } from '../../core/peer/peer-limits.js'
import { ANNOUNCE_TOPIC, COORDINATOR_ANNOUNCE_MS, isAnnouncement, publishAnnouncement } from '../../core/protocol/announce.js'
import type { Announcement } from '../../core/protocol/announce.js'
import { MAX_GOSSIP_SIDE_BYTES, publishSideGossip, SIDE_TOPIC } from '../../core/protocol/side-gossip.js'
import type { SideValue } from '../../core/protocol/side-values.js'
import type { RunProgress } from '../../core/run/run-summary.js'

export interface CoordinatorGossipComponents {
  readonly pubsub: Pick<GossipSub, 'subscribe' | 'unsubscribe' | 'publish' | 'addEventListener' | 'removeEventListener'>
  /** One strike against `peer` (network.ts). */
  readonly misbehaved: (peer: string, what: string) => void
  /** Workers connected now, for the announcement. */
  readonly workerCount: () => number
  /** Side input values of every hosted run, by wire name (the coordinator's RunBoard). */
  readonly sides: { onSide: (listener: (name: string, value: SideValue) => void) => () => void }
  /** The board's id: side values are tagged with it (workers got it as the welcome's `run`). */
  readonly boardId: string
  /** A worker's signed heartbeat (the dashboard shows its CPU time and whether it pauses or leaves). */
  readonly heartbeat?: (peer: string, announcement: Extract<Announcement, { t: 'worker' }>) => void
}

/** A run as announced: its names, the modules (by hash) its workers fetch, how far it is. */
export interface AnnouncedRun {
  readonly runId: string
  readonly flowName: string
  readonly modules: readonly string[]
  readonly progress: () => RunProgress
}

export class CoordinatorGossip {
  private readonly seen = new Set<string>()
  private readonly limit = new PerSecondLimit(MAX_GOSSIP_PER_SECOND)
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly announced = new Map<string, AnnouncedRun>()
  private offSide: (() => void) | undefined

  constructor (private readonly components: CoordinatorGossipComponents) {}

  start (): void {
    const { pubsub } = this.components
    pubsub.subscribe(ANNOUNCE_TOPIC)
    pubsub.subscribe(SIDE_TOPIC)
    pubsub.addEventListener('message', this.onMessage)
    this.timer = setInterval(() => { this.announce() }, COORDINATOR_ANNOUNCE_MS)
    this.timer.unref()
    this.offSide = this.components.sides.onSide((name, value) => {
      if (value.bytes.length > MAX_GOSSIP_SIDE_BYTES) return
      publishSideGossip(pubsub, { t: 'side', run: this.components.boardId, name, version: value.version, value: value.bytes })
    })
  }

  /** Every peer that announced itself as a worker. */
  get peersSeen (): number {
    return this.seen.size
  }

  /** Announces `run` from now on, until `unhost`. */
  host (run: AnnouncedRun): void {
    this.announced.set(run.runId, run)
  }

  unhost (runId: string): void {
    this.announced.delete(runId)
  }

  stop (): void {
    if (this.timer != null) clearInterval(this.timer)
    this.offSide?.()
    this.components.pubsub.removeEventListener('message', this.onMessage)
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const message = evt.detail
    if (message.type === 'signed') {
      const from = message.from.toString()
      const verdict = this.limit.take(from)
      if (verdict === 'first-over') this.components.misbehaved(from, `more than ${MAX_GOSSIP_PER_SECOND} gossip messages in a second`)
      if (verdict !== 'ok') return
    }
    if (message.topic !== ANNOUNCE_TOPIC) return
    try {
      const value = decodeValue(message.data)
      if (isAnnouncement(value) && value.t === 'worker' && message.type === 'signed') {
        this.seen.add(message.from.toString())
        this.components.heartbeat?.(message.from.toString(), value)
      }
    } catch { /* gossip is best effort: ignore what does not decode */ }
  }

  private announce (): void {
    for (const run of this.announced.values()) {
      const progress = run.progress()
      publishAnnouncement(this.components.pubsub, {
        t: 'flow',
        flow: run.flowName,
        run: run.runId,
        modules: run.modules,
        jobsDone: progress.jobsDone,
        jobsQueued: progress.queued,
        workers: this.components.workerCount()
      })
    }
  }
}
