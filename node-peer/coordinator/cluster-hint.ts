/**
 * A flow with stages pinned to clusters waits until the clusters have members, and only network workers
 * join clusters (embedded threads never do). When a run has waited a while with a cluster short of members,
 * say so once, so a run that can never start does not just look stuck.
 */
import type { ClusterView, FlowRun } from '../../core/run/flow-run.js'
import type { FlowSpec } from '../../core/flow/model.js'

/** How long a run waits for short clusters before the hint: long enough for spawned workers or volunteers. */
export const CLUSTER_HINT_MS = 4000

/** Clusters some stage is pinned to that have fewer members than they need to start. */
export function shortClusters (spec: FlowSpec, clusters: Readonly<Record<string, ClusterView>> | undefined): Array<ClusterView & { name: string }> {
  const used = new Set(Object.values(spec.stages).map(s => s.cluster).filter((c): c is string => c != null))
  return Object.entries(clusters ?? {})
    .filter(([name, c]) => used.has(name) && c.members.length < (c.size ?? 1))
    .map(([name, c]) => ({ name, ...c }))
}

/** Calls `hint` once if, after `delayMs`, the run still has short clusters. Returns a cancel function. */
export function watchClusters (spec: FlowSpec, run: FlowRun, hint: (short: Array<ClusterView & { name: string }>) => void, delayMs = CLUSTER_HINT_MS): () => void {
  if (!Object.values(spec.stages).some(s => s.cluster != null)) return () => {}
  const timer = setTimeout(() => {
    const short = shortClusters(spec, run.clusters())
    if (short.length > 0) hint(short)
  }, delayMs)
  timer.unref()
  return () => { clearTimeout(timer) }
}
