/**
 * What `grid-coordinator` prints: the Coordinator's events as lines on stderr (all but spawned workers'
 * output and the cluster hint are left out with --quiet), the progress display while a run hands out jobs,
 * and the end of a run (summary lines, or the failure). Sink lines go to stdout through the sinks.
 */
import { existsSync } from 'node:fs'
import type { RunSummary } from '../../core/run/flow-run.js'
import type { VerificationReport } from '../../core/run/verification.js'
import type { Coordinator } from '../coordinator/coordinator.js'
import type { ClustersWaiting, CoordinatorEvents, PeerMisbehaved, RunStarted, WorkerJoined } from '../coordinator/events.js'
import { isSinkFailure } from '../coordinator/hosted-run.js'
import { noun, plural } from '../../core/util/plural.js'
import { formatCount, formatDuration, formatRate, ProgressDisplay } from './progress.js'
import type { Terminal } from './terminal.js'
import { WORKER_BUNDLE_NAME, workerBundlePath } from '../bundle/bundle-path.js'

export interface ViewOptions {
  readonly quiet: boolean
  /** A standing grid (`serve`): a line per run started and ended, no progress display. */
  readonly standing?: boolean
  readonly embeddedWorkers: number
  readonly spawn: number
}

export class CoordinatorView {
  private progress: ProgressDisplay | undefined

  constructor (private readonly coordinator: Coordinator, private readonly terminal: Terminal, private readonly options: ViewOptions) {
    const say = (line: string): void => { if (!options.quiet) terminal.log(line) }
    const on = <K extends keyof CoordinatorEvents>(type: K, render: (detail: CoordinatorEvents[K]['detail']) => void): void => {
      coordinator.addEventListener(type, evt => { render(evt.detail) })
    }
    on('log', ({ message }) => { say(message) })
    let joining: { address: string, secret: string } | undefined
    on('network:listening', ({ peerId, addresses, joinCommand, joinAddress, secret }) => {
      joining = { address: joinAddress, secret: secret ? ' --secret …  (or EDGE_GRID_SECRET): a join secret is required' : '' }
      say(`edge-grid coordinator ${peerId}`)
      for (const addr of addresses) say(`  listening on ${addr}`)
      say(`volunteers join with:\n  ${joinCommand}${joining.secret}`)
    })
    on('page:serving', ({ urls }) => {
      say(`browser volunteers open:\n  ${urls.join('\n  ')}`)
      if (joining != null) say(bundleJoinLines(urls[0], joining.address, joining.secret))
      say(`grid dashboard: ${urls[0]}dashboard · Prometheus metrics: ${urls[0]}metrics`)
    })
    on('run:started', detail => {
      if (options.standing === true) return say(`> run ${detail.runId} started: flow "${detail.flow}"`)
      say(`edge-grid: running flow "${detail.flow}" on ${workersPhrase(detail)}`)
      // replicas need distinct workers: say so, or a flow with too few workers just looks stuck
      for (const chain of detail.chains ?? []) say(`stages ${chain.map(s => `"${s}"`).join(' → ')} run chained: each chunk goes through all of them in one job on one worker`)
      for (const { stage, replicas } of detail.verified) say(`stage "${stage}" is verified: each job runs on ${replicas} distinct workers (embedded threads count as one) and waits until that many take work`)
    })
    on('workers:spawning', ({ count }) => { say(`spawning ${plural(count, 'local grid-worker process', 'local grid-worker processes')}…`) })
    on('workers:output', ({ line }) => { terminal.log(line) })
    on('run:waiting-for-workers', ({ count }) => { say(`waiting for ${plural(count, options.spawn >= count ? 'spawned worker' : 'volunteer')} to join…`) })
    on('run:running', ({ flow }) => {
      if (options.quiet || options.standing === true) return
      this.progress = new ProgressDisplay(terminal, flow, () => coordinator.progress()!, () => coordinator.workerCount)
      this.progress.start()
    })
    on('run:clusters-waiting', detail => { terminal.log(this.clusterHint(detail)) })
    on('run:done', detail => {
      this.stopProgress()
      if (options.standing === true) say(`< run ${detail.runId} done: flow "${detail.flow}", ${plural(detail.jobsDone, 'job')} in ${formatDuration(detail.wallMs)}`)
    })
    on('run:failed', detail => {
      this.stopProgress()
      if (options.standing === true) say(`< run ${detail.runId} failed: flow "${detail.flow}": ${detail.failure?.error.message ?? 'unknown error'}`)
    })
    on('worker:joined', detail => { say(joinedLine(detail)) })
    on('worker:left', ({ id, reason }) => { say(`- ${id} ${reason}`) })
    on('worker:refused', ({ id, disagreements }) => { say(`! ${id} refused: its results disagreed with other workers ${disagreements} times (result verification)`) })
    on('worker:no-chunks', ({ id, stages }) => { say(noChunksLine(id, stages)) })
    on('peer:misbehaved', detail => { say(misbehavedLine(detail)) })
  }

  stopProgress (): void {
    this.progress?.stop()
    this.progress = undefined
  }

  /** The end of a run that ended by itself: summary lines, or the failure. */
  ended (summary: RunSummary, flow: string, journal: boolean): void {
    printEnded(this.terminal, this.options, summary, flow, journal)
  }

  interrupted (resumable: boolean): void {
    this.stopProgress()
    this.terminal.log(`\ninterrupted${resumable ? ': run the same command with --resume to continue' : ' (no job had finished: nothing to resume)'}`)
  }

  /** Said once (also with --quiet) when a run waits for clusters only network workers can fill. */
  private clusterHint ({ clusters, joinCommand }: ClustersWaiting): string {
    const waiting = clusters.map(c => `cluster "${c.name}" has ${c.members.length} of ${plural(c.size ?? 1, 'member')}`).join(', ')
    const needed = clusters.reduce((n, c) => n + Math.max((c.size ?? 1) - c.members.length, 0), 0)
    const labels = [...new Set(clusters.flatMap(c => c.labels))].map(l => ` --spawn-label ${l}`).join('')
    const local = this.options.spawn > 0
      ? 'the spawned workers do not fill it: give them the cluster\'s labels with --spawn-label'
      : `to try it on this machine, add --spawn ${needed}${labels} (local grid-worker processes)`
    return `hint: ${waiting}: embedded workers never join clusters, only network workers do (grid-worker processes, browser tabs); ${local}` +
      (joinCommand != null ? `; or let volunteers join: ${joinCommand}` : '')
  }
}

/** `2 embedded workers and any volunteers`, `2 spawned workers`, `1 embedded worker and 2 spawned workers`. */
function workersPhrase ({ embeddedWorkers, spawnedWorkers, volunteers }: RunStarted): string {
  const parts = [
    ...(embeddedWorkers > 0 || spawnedWorkers === 0 ? [plural(embeddedWorkers, 'embedded worker')] : []),
    ...(spawnedWorkers > 0 ? [plural(spawnedWorkers, 'spawned worker')] : []),
    ...(volunteers ? ['any volunteers'] : [])
  ]
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts[0]
}

function joinedLine ({ id, info, peer, clusters }: WorkerJoined): string {
  const member = clusters.length > 0 ? `, member of ${clusters.join(', ')}` : ''
  return `+ ${id} joined (${plural(info.threads, 'thread')}, ${info.platform}${info.labels.length > 0 ? `, labels ${info.labels.join(',')}` : ''}, peer …${peer.slice(-8)}${member})`
}

function misbehavedLine ({ peer, kind, reason }: PeerMisbehaved): string {
  const who = `peer …${peer.slice(-8)}`
  switch (kind) {
    case 'violation': return `! closed a job stream from ${who}: ${reason}`
    case 'refused': return `! refused ${who}: ${reason}`
    case 'banned': return `! ${who} ${reason}: disconnected and refused for a while`
  }
}

/** `verified: 40 jobs on distinct workers, 3 disagreements; suspicious: liar@…(3)` */
function verificationLine (v: VerificationReport): string {
  const suspicious = Object.entries(v.suspicious).map(([worker, n]) => `${worker} (${n})`)
  return `verified: ${plural(v.verified, 'job')} on distinct workers, ${v.disagreements} ${noun(v.disagreements, 'disagreement')}; suspicious: ${suspicious.length > 0 ? suspicious.join(', ') : 'none'}`
}

/** The end of a run that ended by itself: summary lines, or the failure (a client prints the same). */
export function printEnded (terminal: Terminal, options: ViewOptions, summary: RunSummary, flow: string, journal: boolean): void {
  if (!summary.ok) {
    const f = summary.failure!
    if (isSinkFailure(f)) {
      terminal.log(`error: flow "${flow}" failed: ${f.error.message}${journal ? '\nthe journal is kept: fix the sink, then run the same command with --resume to continue' : ''}`)
    } else {
      terminal.log(`error: flow "${flow}" failed: stage "${f.stage}", input ${f.input}: ${f.error.name}: ${f.error.message} (after ${plural(f.attempts, 'attempt')})`)
    }
    return
  }
  if (options.quiet) return
  const rate = summary.jobsDone / Math.max(summary.wallMs / 1000, 1e-3)
  const volunteers = Object.keys(summary.perWorker).filter(w => w !== 'local').length
  for (const [name, c] of Object.entries(summary.clusters ?? {})) {
    terminal.log(`cluster ${name}: ${c.members.length > 0 ? c.members.join(', ') : 'no members'}${c.size != null ? ` (${c.members.length}/${c.size})` : ''}`)
  }
  if (summary.verification != null) terminal.log(verificationLine(summary.verification))
  const { embeddedWorkers, spawn } = options
  const network = volunteers > 0 ? plural(volunteers, spawn > 0 ? 'network worker' : 'volunteer') : ''
  const on = spawn > 0 && embeddedWorkers === 0 && network !== '' ? network : `${plural(embeddedWorkers, 'embedded worker')}${network !== '' ? ` and ${network}` : ''}`
  terminal.log(`done: ${plural(summary.jobsDone, 'job')} in ${formatDuration(summary.wallMs)} (${formatRate(rate)}) on ${on}${summary.jobsRetried > 0 ? `, ${summary.jobsRetried} retried` : ''}${summary.resumed != null ? `, ${formatCount(summary.resumed.jobsReplayed)} taken from the journal` : ''}`)
}

/** With --http, any machine with Node ≥ 20 joins by downloading the worker bundle (node-peer/bundle/), nothing to install. */
function bundleJoinLines (pageUrl: string, address: string, secret: string): string {
  if (!existsSync(workerBundlePath)) return `(Node machines could join without installing anything once the worker bundle is built: npm run build:bundle)`
  return `any machine with Node ≥ 20 joins with (nothing to install):\n  curl -O ${pageUrl}${WORKER_BUNDLE_NAME}\n  node ${WORKER_BUNDLE_NAME} --bootstrap ${address}${secret}`
}

/** A worker too old for chunks idles on a chunked run: say why, and what to do. */
export function noChunksLine (worker: string, stages: readonly string[]): string {
  const what = stages.length === 1 ? `stage "${stages[0]}" is chunked` : `stages ${stages.map(s => `"${s}"`).join(', ')} are chunked`
  return `! ${worker} does not run chunks (an older grid-worker?): ${what}, so it gets none of that work; upgrade the worker`
}
