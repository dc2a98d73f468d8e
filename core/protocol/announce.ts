/**
 * Gossipsub announcements (best effort: a publish before the mesh forms reaches nobody, so nothing that must
 * arrive travels here). Coordinators announce their flow and how much is left; workers announce their
 * capacity as a heartbeat.
 */
import { isArrayOf, isCount, isLabels, isObject, isShortString } from './guards.js'
import { publishBestEffort } from './gossip.js'
import type { GossipPublisher } from './gossip.js'

export const ANNOUNCE_TOPIC = '/edge-grid/announce/1.0.0'
export const COORDINATOR_ANNOUNCE_MS = 2000
export const WORKER_HEARTBEAT_MS = 5000

/** What a worker says it is doing (optional in its heartbeat: older workers do not send it). */
export type WorkerActivity = 'busy' | 'idle' | 'paused' | 'leaving'
const ACTIVITIES: readonly unknown[] = ['busy', 'idle', 'paused', 'leaving']

export type Announcement =
  | { readonly t: 'flow', readonly flow: string, readonly run: string, readonly modules: readonly string[], readonly jobsDone: number, readonly jobsQueued: number, readonly workers: number }
  /** `busyMs`: time its threads spent running jobs (the dashboard's CPU time); both optional, added later. */
  | { readonly t: 'worker', readonly name: string, readonly threads: number, readonly platform: string, readonly labels: readonly string[], readonly jobsDone: number, readonly busyMs?: number, readonly state?: WorkerActivity }

export function isAnnouncement (v: unknown): v is Announcement {
  if (!isObject(v)) return false
  if (v.t === 'flow') {
    return isShortString(v.flow) && isShortString(v.run) && isArrayOf(v.modules, 1024, (m): m is string => isShortString(m, 128)) &&
      isCount(v.jobsDone) && isCount(v.jobsQueued) && isCount(v.workers)
  }
  if (v.t === 'worker') {
    return isShortString(v.name) && isCount(v.threads) && isShortString(v.platform) && isLabels(v.labels) && isCount(v.jobsDone) &&
      (v.busyMs === undefined || isCount(v.busyMs)) && (v.state === undefined || ACTIVITIES.includes(v.state))
  }
  return false
}

/** Publishes an announcement on ANNOUNCE_TOPIC (best effort). */
export function publishAnnouncement (pubsub: GossipPublisher, announcement: Announcement): void {
  publishBestEffort(pubsub, ANNOUNCE_TOPIC, announcement)
}
