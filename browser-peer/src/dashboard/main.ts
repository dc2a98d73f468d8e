/**
 * The grid dashboard: subscribes to the coordinator's pushed snapshots (Server-Sent Events at
 * /dashboard/events) and renders them. Read-only unless the viewer proves the submit secret: the secret
 * stays in this page's memory and only HMAC proofs over one-time nonces leave it
 * (core/dashboard/control-proof.ts). Tests read `window.__dashboard`.
 */
import type { DashboardSnapshot, RunView } from '../../../core/dashboard/snapshot.js'
import { controlProof } from '../../../core/dashboard/control-proof.js'
import type { ControlAction } from '../../../core/dashboard/control-proof.js'
import { drawThroughput } from './chart.js'
import { byId, clock, h } from './dom.js'
import { renderEvents, renderGrid, renderRuns, renderWorkers } from './render.js'

export interface DashboardHandle {
  snapshot: () => DashboardSnapshot | undefined
  /** Snapshots received so far. */
  pushes: () => number
  unlocked: () => boolean
}

declare global {
  interface Window { __dashboard?: DashboardHandle }
}

let last: DashboardSnapshot | undefined
let pushes = 0
/** The submit secret once proven; never shown, never sent. */
let secret: string | undefined
let controlError: string | undefined

const status = byId('status')

function setStatus (state: 'donating' | 'connecting' | 'reconnecting', text: string): void {
  status.dataset.state = state
  status.textContent = text
}

async function post (path: string, body?: unknown): Promise<{ status: number, value: Record<string, unknown> }> {
  const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body == null ? undefined : JSON.stringify(body) })
  return { status: res.status, value: await res.json() as Record<string, unknown> }
}

/** Proves the secret for one action: a fresh nonce, then the HMAC over it. */
async function prove (key: string, action: ControlAction, runId: string): Promise<{ ok: boolean, error?: string }> {
  const challenge = await post('./dashboard/challenge')
  if (typeof challenge.value.nonce !== 'string') return { ok: false, error: String(challenge.value.error ?? 'no nonce') }
  const nonce = challenge.value.nonce
  const answer = await post('./dashboard/control', { action, runId, nonce, proof: controlProof(key, nonce, action, runId) })
  return answer.value.ok === true ? { ok: true } : { ok: false, error: String(answer.value.error ?? `HTTP ${answer.status}`) }
}

async function unlock (key: string): Promise<void> {
  const result = await prove(key, 'unlock', '')
  secret = result.ok ? key : undefined
  controlError = result.ok ? undefined : result.error
  render()
}

async function cancel (run: RunView): Promise<void> {
  if (secret == null) return
  if (!window.confirm(`Cancel the run of "${run.flow}" (${run.runId.slice(0, 8)})? Its journal is kept for a resume.`)) return
  const result = await prove(secret, 'cancel', run.runId)
  controlError = result.ok ? undefined : result.error
  render()
}

function renderControl (s: DashboardSnapshot): void {
  const box = byId('control')
  if (!s.grid.control) {
    box.replaceChildren(h('span', { title: 'Start the coordinator with a submit secret to allow cancelling runs from here' }, 'Read-only'))
    return
  }
  if (secret != null) {
    const lock = h('button', { type: 'button', class: 'small-button' }, 'Lock')
    lock.addEventListener('click', () => { secret = undefined; render() })
    box.replaceChildren(h('span', { class: 'unlocked', 'data-control': 'unlocked' }, 'Controls unlocked'), lock)
    return
  }
  if (box.querySelector('form') != null && controlError == null) return // keep what the viewer is typing
  const input = h('input', { type: 'password', placeholder: 'submit secret', autocomplete: 'off', 'aria-label': 'Submit secret' })
  const form = h('form', { class: 'control' }, controlError != null ? h('span', { class: 'error' }, controlError) : null, input, h('button', { type: 'submit', class: 'small-button' }, 'Unlock'))
  form.addEventListener('submit', evt => {
    evt.preventDefault()
    const key = input.value
    input.value = ''
    if (key !== '') void unlock(key)
  })
  controlError = undefined
  box.replaceChildren(form)
}

function render (): void {
  const s = last
  if (s == null) return
  renderGrid(s)
  renderControl(s)
  renderRuns(s.runs, { cancel: secret != null ? run => { void cancel(run) } : undefined })
  drawThroughput(byId<HTMLCanvasElement>('throughput'), byId('legend'), byId('chart-note'), s.runs)
  renderWorkers(s)
  renderEvents(s.events)
  byId('updated').textContent = `updated ${clock(s.now)}`
}

function connect (): void {
  const source = new EventSource('./dashboard/events')
  source.addEventListener('open', () => { setStatus('donating', 'Live') })
  source.addEventListener('error', () => { setStatus('reconnecting', 'Reconnecting…') })
  source.addEventListener('message', evt => {
    last = JSON.parse(evt.data as string) as DashboardSnapshot
    pushes++
    setStatus('donating', 'Live')
    render()
  })
}

byId('copy-join').addEventListener('click', () => {
  const text = last?.grid.joinCommand
  if (text == null) return
  // the clipboard API needs a secure context: fall back to selecting the text for Ctrl-C
  const select = (): void => { window.getSelection()?.selectAllChildren(byId('join-command')) }
  if (navigator.clipboard == null) select()
  else navigator.clipboard.writeText(text).then(() => { byId('copy-join').textContent = 'Copied' }, select)
})
window.addEventListener('resize', () => { if (last != null) drawThroughput(byId<HTMLCanvasElement>('throughput'), byId('legend'), byId('chart-note'), last.runs) })
window.__dashboard = { snapshot: () => last, pushes: () => pushes, unlocked: () => secret != null }
connect()
