/**
 * Gossipsub announcements (best effort: a publish before the mesh forms reaches nobody, so nothing that must
 * arrive travels here). Coordinators announce their flow and how much is left; workers announce their
 * capacity as a heartbeat.
 */
export const ANNOUNCE_TOPIC = '/edge-grid/announce/1.0.0'
export const COORDINATOR_ANNOUNCE_MS = 2000
export const WORKER_HEARTBEAT_MS = 5000

export type Announcement =
  | { readonly t: 'flow', readonly flow: string, readonly run: string, readonly modules: readonly string[], readonly jobsDone: number, readonly jobsQueued: number, readonly workers: number }
  | { readonly t: 'worker', readonly name: string, readonly threads: number, readonly platform: string, readonly labels: readonly string[], readonly jobsDone: number }

const isObject = (v: unknown): v is Record<string, unknown> => v != null && typeof v === 'object' && !Array.isArray(v)
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0
const isStr = (v: unknown, max = 256): v is string => typeof v === 'string' && v.length <= max

export function isAnnouncement (v: unknown): v is Announcement {
  if (!isObject(v)) return false
  if (v.t === 'flow') {
    return isStr(v.flow) && isStr(v.run) && Array.isArray(v.modules) && v.modules.length <= 1024 && v.modules.every(m => isStr(m, 128)) &&
      isCount(v.jobsDone) && isCount(v.jobsQueued) && isCount(v.workers)
  }
  if (v.t === 'worker') {
    return isStr(v.name) && isCount(v.threads) && isStr(v.platform) && Array.isArray(v.labels) && v.labels.length <= 64 && v.labels.every(l => isStr(l, 64)) && isCount(v.jobsDone)
  }
  return false
}
