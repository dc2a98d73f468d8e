/**
 * Placement: which workers are members of which cluster, and so which stages a worker may run.
 *
 * Rules (README, "Execution semantics", clusters):
 * - Only network workers (grid-worker processes, browser tabs) are members; the coordinator's embedded
 *   threads are members of no cluster, so they never run a pinned stage.
 * - A worker is eligible for a cluster when it declared every one of the cluster's labels.
 * - A cluster without `members` holds every eligible worker present, in join order.
 * - A cluster with `members: n` holds n eligible workers, chosen in join order, and keeps them while they
 *   live: a member is never swapped for another worker. When one leaves, the earliest-joined eligible
 *   worker that is in no sized cluster takes its place (if any). A worker is in at most one sized cluster,
 *   so two sized clusters never share a member (label-only clusters may overlap anything).
 *
 * `assignMembers` is the pure rule; `ClusterMembership` keeps the workers present and applies it.
 */
import type { ClusterSpec } from '../flow/model.js'

export interface PresentWorker {
  readonly id: string
  readonly labels: readonly string[]
}

/** Cluster name → member ids, in the order they became members. */
export type Membership = ReadonlyMap<string, readonly string[]>

export function isEligible (cluster: ClusterSpec, worker: PresentWorker): boolean {
  return cluster.labels.every(label => worker.labels.includes(label))
}

/**
 * The membership of every cluster, given the workers present (in join order) and the previous membership
 * (for stickiness). Deterministic: the same inputs give the same membership.
 */
export function assignMembers (clusters: readonly ClusterSpec[], present: readonly PresentWorker[], previous: Membership): Map<string, string[]> {
  const byId = new Map(present.map(w => [w.id, w]))
  const result = new Map<string, string[]>()
  // sized clusters first keep the members they had (still present and still eligible) …
  const taken = new Set<string>()
  for (const cluster of clusters) {
    if (cluster.members == null) continue
    const kept = (previous.get(cluster.name) ?? []).filter(id => {
      const w = byId.get(id)
      return w != null && !taken.has(id) && isEligible(cluster, w)
    }).slice(0, cluster.members)
    for (const id of kept) taken.add(id)
    result.set(cluster.name, kept)
  }
  // … then fill their free places in declaration order, from workers in no sized cluster, in join order
  for (const cluster of clusters) {
    if (cluster.members == null) continue
    const members = result.get(cluster.name)!
    for (const w of present) {
      if (members.length >= cluster.members) break
      if (taken.has(w.id) || !isEligible(cluster, w)) continue
      members.push(w.id)
      taken.add(w.id)
    }
  }
  for (const cluster of clusters) {
    if (cluster.members != null) continue
    result.set(cluster.name, present.filter(w => isEligible(cluster, w)).map(w => w.id))
  }
  return result
}

/** Whether a cluster is complete: its size reached (sized clusters) or at least one member (label clusters). */
export function isComplete (cluster: ClusterSpec, members: readonly string[]): boolean {
  return members.length >= (cluster.members ?? 1)
}

/** The workers present and the clusters' membership, updated as workers join and leave. */
export class ClusterMembership {
  private readonly clusters: readonly ClusterSpec[]
  private present: PresentWorker[] = []
  private membership = new Map<string, string[]>()
  private memberSets = new Map<string, Set<string>>()
  /** Clusters that have been complete at least once (a sized cluster starts distributing only when full). */
  private readonly started = new Set<string>()

  constructor (clusters: Readonly<Record<string, ClusterSpec>> = {}) {
    this.clusters = Object.values(clusters)
    this.update()
  }

  get hasClusters (): boolean {
    return this.clusters.length > 0
  }

  /** A network worker joined (embedded workers never do). Returns whether any membership changed. */
  join (id: string, labels: readonly string[]): boolean {
    if (this.present.some(w => w.id === id)) return false
    this.present.push({ id, labels: [...labels] })
    return this.update()
  }

  /** A worker left. Returns whether any membership changed. */
  leave (id: string): boolean {
    const before = this.present.length
    this.present = this.present.filter(w => w.id !== id)
    return before !== this.present.length && this.update()
  }

  isMember (cluster: string, worker: string): boolean {
    return this.memberSets.get(cluster)?.has(worker) ?? false
  }

  members (cluster: string): readonly string[] {
    return this.membership.get(cluster) ?? []
  }

  /**
   * Whether items may be handed to the cluster's members now: once the cluster has been complete (its size
   * reached, or its first member for a label cluster), whenever it has at least one member.
   */
  isReady (cluster: string): boolean {
    return this.started.has(cluster) && this.members(cluster).length > 0
  }

  /** Cluster name → its members and declared size, for progress and reports. */
  snapshot (): Record<string, { members: string[], size?: number, labels: string[] }> {
    const out: Record<string, { members: string[], size?: number, labels: string[] }> = {}
    for (const c of this.clusters) {
      out[c.name] = { members: [...this.members(c.name)], labels: [...c.labels], ...(c.members != null ? { size: c.members } : {}) }
    }
    return out
  }

  private update (): boolean {
    const next = assignMembers(this.clusters, this.present, this.membership)
    let changed = false
    for (const c of this.clusters) {
      const a = this.membership.get(c.name) ?? []
      const b = next.get(c.name) ?? []
      if (a.length !== b.length || a.some((id, i) => id !== b[i])) changed = true
      if (isComplete(c, b)) this.started.add(c.name)
    }
    this.membership = next
    this.memberSets = new Map([...next].map(([name, ids]) => [name, new Set(ids)]))
    return changed
  }
}
