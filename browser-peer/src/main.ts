/**
 * The volunteer page: reads its config, starts the libp2p node, the Web Worker pool, tab-to-tab sharing and
 * the donor session, and wires them to the view. Tests drive it through `window.__edgeGrid`.
 */
import { loadPageConfig } from './config.js'
import { Donor } from './donor.js'
import type { DonorState, DonorStats } from './donor.js'
import { defaultThreads, MAX_THREADS, WebWorkerPool } from './executor/pool.js'
import { createBrowserNode } from './node.js'
import type { BrowserNode } from './node.js'
import { TabPeers } from './tab-peers.js'
import type { CodeFetchRecord } from './tab-peers.js'
import { plural } from '../../core/util/plural.js'
import { View } from './ui.js'

export interface ConnectionInfo {
  readonly peer: string
  readonly remoteAddr: string
  readonly limited: boolean
  readonly status: string
}

export interface PageStats extends DonorStats {
  readonly state: DonorState | 'error'
  readonly donating: boolean
  readonly threads: number
  readonly peerId: string
  readonly peersSeen: number
  readonly tabPeers: number
  readonly modulesFromTabs: number
  readonly sharedMemory: boolean
  /** CPU time donated: time the Web Workers spent running jobs */
  readonly busyMs: number
  readonly error?: string
}

/** What tests (and curious users, from the console) can call. */
export interface EdgeGridHandle {
  stats: () => PageStats
  connections: () => ConnectionInfo[]
  codeFetches: () => CodeFetchRecord[]
  multiaddrs: () => string[]
  donate: () => void
  pause: () => Promise<void>
  setThreads: (n: number) => Promise<number>
  logLines: () => string[]
}

declare global {
  interface Window { __edgeGrid?: EdgeGridHandle }
}

const REFRESH_MS = 500
const cores = defaultThreads()
const maxThreads = Math.min(MAX_THREADS, Math.max(cores * 2, 4))
const lines: string[] = []
let failure: string | undefined
let state: DonorState | 'error' = 'paused'
let donor: Donor | undefined

const view = new View(cores, maxThreads, {
  toggle: () => {
    if (donor == null) return
    if (donor.donating) void donor.pause()
    else donor.donate()
    view.setState(state, donor.donating) // the switch and its hint follow the click even if the state stays
  },
  threads: n => { void donor?.setThreads(n) }
})

function log (line: string): void {
  lines.push(line)
  if (lines.length > 1000) lines.splice(0, lines.length - 1000)
  view.append(line)
}

async function boot (): Promise<void> {
  const config = await loadPageConfig()
  const pool = new WebWorkerPool({ threads: Math.min(config.threads ?? cores, maxThreads) })
  const node: BrowserNode = await createBrowserNode({ iceServers: config.iceServers })
  view.setSelf(node.peerId.toString())
  log(`this tab is peer …${node.peerId.toString().slice(-10)}; ${plural(pool.slots, 'thread')}${pool.stats.sharedMemory ? '' : ' (no SharedArrayBuffer: timeouts watched by messages)'}`)
  const name = config.name ?? `tab-${node.peerId.toString().slice(-6)}`

  const tabs = new TabPeers({
    node,
    heartbeat: () => ({ t: 'worker', name, threads: pool.slots, platform: 'browser', labels: ['browser'], jobsDone: donor?.stats().jobsDone ?? 0, busyMs: Math.round(pool.stats.busyMs), ...activity() }),
    events: { log }
  })
  donor = new Donor({
    node,
    pool,
    tabs,
    bootstrap: config.bootstrap,
    name,
    discoverMs: config.discoverMs,
    forgetAfterMs: config.forgetAfterMs,
    secret: config.secret,
    events: {
      state: s => {
        const heartbeatNow = (s === 'pausing' || s === 'paused') && s !== state
        state = s
        if (heartbeatNow) tabs.publish()
        view.setState(s, donor?.donating ?? false)
        // no session, no jobs: the last flow's rate is not this tab's rate any more
        if (s !== 'donating' && s !== 'pausing') view.resetRate(donor?.stats().jobsDone ?? 0)
      },
      log,
      flow: () => {},
      flowDone: () => { view.resetRate(donor?.stats().jobsDone ?? 0) }
    }
  })
  const d = donor
  node.addEventListener('connection:open', evt => {
    const c = evt.detail
    if (c.remoteAddr.toString().includes('/webrtc')) return // tab-peers logs those
    if (config.bootstrap.some(b => b.endsWith(c.remotePeer.toString()))) log(`connected to the coordinator at ${c.remoteAddr.toString()}`)
  })
  await tabs.start(config.bootstrap)
  d.start()

  const handle: EdgeGridHandle = {
    stats: () => pageStats(d, tabs, pool, node),
    connections: () => node.getConnections().map(c => ({ peer: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), limited: c.limits != null, status: c.status })),
    codeFetches: () => [...tabs.fetches],
    multiaddrs: () => node.getMultiaddrs().map(a => a.toString()),
    donate: () => { d.donate() },
    pause: async () => { await d.pause() },
    setThreads: async n => await d.setThreads(n),
    logLines: () => [...lines]
  }
  window.__edgeGrid = handle
  setInterval(() => { render(d, tabs, pool, node) }, REFRESH_MS)
  setInterval(() => { view.sample(d.stats().jobsDone) }, 1000)
  render(d, tabs, pool, node)
  view.setState(d.state, d.donating)
  if (config.autostart) d.donate()
  else log('press the switch to start donating')
  window.addEventListener('pagehide', () => { void d.stop() })
}

/** What the heartbeat tells the coordinator's dashboard: a pausing tab is leaving, a paused one paused. */
function activity (): { state?: 'paused' | 'leaving' } {
  if (state === 'pausing') return { state: 'leaving' }
  return state === 'paused' ? { state: 'paused' } : {}
}

function pageStats (d: Donor, tabs: TabPeers, pool: WebWorkerPool, node: BrowserNode): PageStats {
  return {
    ...d.stats(),
    state,
    donating: d.donating,
    threads: pool.slots,
    peerId: node.peerId.toString(),
    peersSeen: tabs.peersSeen,
    tabPeers: tabs.tabConnections().length,
    modulesFromTabs: tabs.fetches.filter(f => f.source === 'tab').length,
    sharedMemory: pool.stats.sharedMemory,
    busyMs: pool.stats.busyMs,
    error: failure
  }
}

function render (d: Donor, tabs: TabPeers, pool: WebWorkerPool, node: BrowserNode): void {
  view.render(pageStats(d, tabs, pool, node))
}

boot().catch(err => {
  failure = `${(err as Error).name}: ${(err as Error).message}`
  state = 'error'
  view.setState('error', false)
  view.disable()
  log(`could not start: ${(err as Error).message}`)
  window.__edgeGrid = {
    stats: () => ({ jobsDone: 0, jobsFailed: 0, busyMs: 0, jobsPerSecond: 0, coordinator: undefined, flow: undefined, sessions: 0, state, donating: false, threads: 0, peerId: '', peersSeen: 0, tabPeers: 0, modulesFromTabs: 0, sharedMemory: false, error: failure }),
    connections: () => [],
    codeFetches: () => [],
    multiaddrs: () => [],
    donate: () => {},
    pause: async () => {},
    setThreads: async () => 0,
    logLines: () => [...lines]
  }
})
