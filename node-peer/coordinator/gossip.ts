/**
 * The coordinator's gossipsub side, best effort only (anything that must arrive travels on job streams):
 * it announces the attached run every COORDINATOR_ANNOUNCE_MS, publishes each new side input value, counts
 * the workers that announce themselves, and rate-limits every peer's gossip (too much is a strike).
 */
import type { GossipSub, Message } from '@libp2p/gossipsub'
import { decodeValue } from '../../core/codec.js'
import { MAX_GOSSIP_PER_SECOND, PerSecondLimit } from '../../core/peer/peer-limits.js'
import { ANNOUNCE_TOPIC, COORDINATOR_ANNOUNCE_MS, isAnnouncement, publishAnnouncement } from '../../core/protocol/announce.js'
import type { Announcement } from '../../core/protocol/announce.js'
import { MAX_GOSSIP_SIDE_BYTES, publishSideGossip, SIDE_TOPIC } from '../../core/protocol/side-gossip.js'
import type { ServedRun } from './job-server.js'

export interface CoordinatorGossipComponents {
  readonly pubsub: Pick<GossipSub, 'subscribe' | 'unsubscribe' | 'publish' | 'addEventListener' | 'removeEventListener'>
  /** One strike against `peer` (network.ts). */
  readonly misbehaved: (peer: string, what: string) => void
  /** Workers connected now, for the announcement. */
  readonly workerCount: () => number
  /** A worker's signed heartbeat (the dashboard shows its CPU time and whether it pauses or leaves). */
  readonly heartbeat?: (peer: string, announcement: Extract<Announcement, { t: 'worker' }>) => void
}

/** A run as announced: its names, and the modules (by hash) its workers fetch. */
export interface AnnouncedRun extends ServedRun {
  readonly modules: readonly string[]
}

export class CoordinatorGossip {
  private readonly seen = new Set<string>()
  private readonly limit = new PerSecondLimit(MAX_GOSSIP_PER_SECOND)
  private timer: ReturnType<typeof setInterval> | undefined
  private announced: AnnouncedRun | undefined
  private offSide: (() => void) | undefined

  constructor (private readonly components: CoordinatorGossipComponents) {}

  start (): void {
    const { pubsub } = this.components
    pubsub.subscribe(ANNOUNCE_TOPIC)
    pubsub.subscribe(SIDE_TOPIC)
    pubsub.addEventListener('message', this.onMessage)
    this.timer = setInterval(() => { this.announce() }, COORDINATOR_ANNOUNCE_MS)
    this.timer.unref()
  }

  /** Every peer that announced itself as a worker. */
  get peersSeen (): number {
    return this.seen.size
  }

  /** Announces `run` from now on and publishes its side input values (the fast path to every worker). */
  attach (run: AnnouncedRun): void {
    this.offSide?.()
    this.announced = run
    this.offSide = run.run.onSide((name, value) => {
      if (value.bytes.length > MAX_GOSSIP_SIDE_BYTES) return
      publishSideGossip(this.components.pubsub, { t: 'side', run: run.runId, name, version: value.version, value: value.bytes })
    })
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
    const run = this.announced
    if (run == null) return
    const progress = run.run.progress()
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
