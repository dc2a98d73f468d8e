/**
 * Renders one snapshot into the page. Runs and workers are rebuilt per push (a few hundred rows at most:
 * cheap at two pushes a second); each figure carries data attributes so tests read exactly what is shown.
 */
import type { DashboardSnapshot, GridEvent, RunView, StageView, WithoutChunksView, WorkerView } from '../../../core/dashboard/snapshot.js'
import { byId, clock, count, h } from './dom.js'
import { formatDuration as duration, formatRate as rate } from '../format.js'

export interface RunActions {
  /** Present when the viewer proved the submit secret. */
  readonly cancel?: (run: RunView) => void
}

const LIVE = new Set(['waiting', 'running'])

export function renderGrid (s: DashboardSnapshot): void {
  const g = s.grid
  byId('peer-id').textContent = g.peerId != null ? `…${g.peerId.slice(-16)}` : '–'
  byId('peer-id').title = g.peerId ?? ''
  byId('uptime').textContent = duration(s.now - g.startedAt)
  byId('worker-count').textContent = count(g.workers)
  byId('thread-count').textContent = count(g.threads)
  byId('grid-rate').textContent = rate(g.jobsPerSecond)
  byId('join-command').textContent = g.joinCommand ?? '–'
  byId('address-count').textContent = String(g.addresses.length)
  byId('addresses').replaceChildren(...g.addresses.map(a => h('li', {}, a)))
}

export function renderRuns (runs: readonly RunView[], actions: RunActions): void {
  const box = byId('runs')
  if (runs.length === 0) {
    box.replaceChildren(h('p', { class: 'empty' }, 'No run yet: runs appear here as soon as they start.'))
    return
  }
  box.replaceChildren(...runs.map(run => runCard(run, actions)), key())
}

function runCard (run: RunView, actions: RunActions): HTMLElement {
  const live = LIVE.has(run.phase)
  const cancel = live && actions.cancel != null
    ? h('button', { type: 'button', class: 'small-button danger', 'data-cancel': run.runId }, 'Cancel run')
    : undefined
  cancel?.addEventListener('click', () => { actions.cancel?.(run) })
  const figures = h('div', { class: 'run-figures' },
    h('span', {}, h('b', { 'data-figure': 'jobs-done' }, count(run.jobsDone)), ' jobs'),
    live ? h('span', {}, h('b', { 'data-figure': 'rate' }, rate(run.jobsPerSecond)), ' /s') : null,
    h('span', {}, h('b', {}, duration(run.elapsedMs)), live ? ' elapsed' : ' in all'),
    run.etaMs != null ? h('span', {}, '≈ ', h('b', {}, duration(run.etaMs)), ' left') : null,
    run.sourceFraction != null && live ? h('span', {}, h('b', {}, `${Math.floor(run.sourceFraction * 100)}%`), ' read') : null,
    run.jobsRetried > 0 ? h('span', {}, h('b', {}, count(run.jobsRetried)), ' retried') : null,
    run.jobsFailed > 0 ? h('span', {}, h('b', {}, count(run.jobsFailed)), ' failed') : null
  )
  const v = run.verification
  return h('article', { class: 'run', 'data-run': run.runId, 'data-phase': run.phase },
    h('div', { class: 'run-head' },
      h('span', { class: 'run-name' }, run.flow),
      h('span', { class: 'badge', 'data-v': run.phase }, run.phase),
      h('span', { class: 'run-id', title: run.runId }, run.runId.slice(0, 8)),
      figures,
      cancel),
    h('div', { class: 'stages' }, ...run.stages.flatMap(s => stageRow(s, chainOf(run, s.name)))),
    ...(run.chains ?? []).map(chain => h('p', { class: 'run-chain', 'data-chain': chain.join(' ') },
      'Chained: ', h('b', {}, chain.join(' → ')), ' · each chunk goes through all of them in one job on one worker')),
    run.withoutChunks != null ? withoutChunksLine(run.withoutChunks) : null,
    v != null
      ? h('p', { class: 'run-verification', 'data-figure': 'verification' },
        `Verified: ${count(v.verified)} jobs agreed by their replicas · ${count(v.disagreements)} with disagreements · ${count(v.suspicious)} suspicious worker${v.suspicious === 1 ? '' : 's'}`)
      : null,
    run.failure != null ? h('p', { class: 'run-failure' }, run.failure) : null)
}

/** The chain `stage` runs in, if any. */
function chainOf (run: RunView, stage: string): readonly string[] | undefined {
  return run.chains?.find(c => c.includes(stage))
}

/** Workers that idle for the chunked stages: named, so whoever watches knows which to upgrade. */
function withoutChunksLine (w: WithoutChunksView): HTMLElement {
  const named = w.workers.map(({ worker, stages }) => `${worker} (${stages.length === 1 ? 'stage' : 'stages'} ${stages.map(s => `"${s}"`).join(', ')})`)
  const more = w.count - w.workers.length
  return h('p', { class: 'run-notice', 'data-figure': 'without-chunks', 'data-count': String(w.count), 'data-workers': w.workers.map(x => x.worker).join(' ') },
    w.count === 1 ? '1 worker gets no chunked work (an older grid-worker? upgrade it): ' : `${count(w.count)} workers get no chunked work (older grid-workers? upgrade them): `,
    named.join(', '), more > 0 ? ` and ${count(more)} more` : null)
}

function stageRow (s: StageView, chain: readonly string[] | undefined): HTMLElement[] {
  const total = Math.max(1, s.done + s.inFlight + s.queued + s.failed)
  const pct = (n: number): string => `width:${(100 * n / total).toFixed(2)}%`
  const extra = [
    s.failed > 0 ? h('span', { class: 'bad' }, ` · ${count(s.failed)} failed`) : null,
    s.retried > 0 ? ` · ${count(s.retried)} retried` : null,
    s.replayed > 0 ? ` · ${count(s.replayed)} replayed` : null,
    s.replicas != null ? ` · ×${s.replicas} replicas` : null
  ]
  return [
    h('span', { class: 'stage-name' }, s.name, chain != null ? h('span', { class: 'tag chain', title: `runs chained: ${chain.join(' → ')}` }, 'chained') : null),
    h('div', { class: 'bar', role: 'img', 'aria-label': `${s.name}: ${s.done} done, ${s.inFlight} in flight, ${s.queued} queued` },
      h('i', { class: 'done', style: pct(s.done) }), h('i', { class: 'flight', style: pct(s.inFlight) }),
      h('i', { class: 'queued', style: pct(s.queued) }), h('i', { class: 'failed', style: pct(s.failed) })),
    h('span', { class: 'stage-figures', 'data-stage': s.name, 'data-chained': chain != null ? 'true' : undefined, 'data-done': String(s.done), 'data-queued': String(s.queued), 'data-in-flight': String(s.inFlight), 'data-failed': String(s.failed), 'data-retried': String(s.retried), 'data-replayed': String(s.replayed) },
      h('b', {}, count(s.done)), ' done · ', h('b', {}, count(s.inFlight)), ' in flight · ', h('b', {}, count(s.queued)), ' queued', ...extra)
  ]
}

function key (): HTMLElement {
  return h('div', { class: 'key' }, h('span', {}, h('i', { class: 'done' }), 'done'), h('span', {}, h('i', { class: 'flight' }), 'in flight'), h('span', {}, h('i', { class: 'queued' }), 'queued'))
}

export function renderWorkers (s: DashboardSnapshot): void {
  byId('workers').replaceChildren(...(s.workers.length > 0 ? s.workers.map(workerRow) : [h('tr', {}, h('td', { colspan: '9', class: 'detail' }, 'No worker yet: share the join command above, or open the volunteer page in a browser.'))]))
  byId('workers-note').textContent = s.workersHidden > 0 ? `${count(s.workersHidden)} more not shown` : ''
}

function workerRow (w: WorkerView): HTMLElement {
  return h('tr', { 'data-worker': w.id, 'data-state': w.state },
    h('td', { class: 'id', title: w.peer ?? '' }, w.id),
    h('td', {}, w.kind),
    h('td', {}, h('span', { class: 'badge', 'data-v': w.state }, w.state)),
    h('td', { class: 'num' }, count(w.threads)),
    h('td', {}, ...w.labels.map(l => h('span', { class: 'tag' }, l)), ...w.clusters.map(c => h('span', { class: 'tag cluster' }, c)), w.labels.length + w.clusters.length === 0 ? '–' : null),
    h('td', { class: 'num', 'data-figure': 'jobs-done' }, count(w.jobsDone)),
    h('td', { class: 'num' }, rate(w.jobsPerSecond)),
    h('td', { class: 'num' }, w.cpuMs != null ? duration(w.cpuMs) : '–'),
    h('td', { class: 'detail' }, w.reason ?? `joined ${clock(w.joinedAt)} · ${w.platform}`))
}

export function renderEvents (events: readonly GridEvent[]): void {
  const list = byId<HTMLOListElement>('events')
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 8
  list.replaceChildren(...events.map(e => h('li', { class: `ev-${e.kind}` }, h('time', {}, clock(e.at)), h('span', {}, e.text))))
  if (atBottom) list.scrollTop = list.scrollHeight
}
