/**
 * What the page exposes to tests as `window.__edgeGrid` (browser-peer/src/main.ts): the shapes repeated here
 * because the browser project is compiled by vite, not by the tests' tsc.
 */
export interface PageStats {
  readonly state: string
  readonly donating: boolean
  readonly jobsDone: number
  readonly jobsFailed: number
  readonly busyMs: number
  readonly jobsPerSecond: number
  readonly coordinator?: string
  readonly flow?: string
  readonly sessions: number
  readonly threads: number
  readonly peerId: string
  readonly peersSeen: number
  readonly tabPeers: number
  readonly modulesFromTabs: number
  readonly sharedMemory: boolean
  readonly error?: string
}

export interface ConnectionInfo {
  readonly peer: string
  readonly remoteAddr: string
  readonly limited: boolean
  readonly status: string
}

export interface CodeFetchRecord {
  readonly hash: string
  readonly source: 'coordinator' | 'tab'
  readonly peer: string
  readonly remoteAddr: string
  readonly bytes: number
  readonly ms: number
}

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
