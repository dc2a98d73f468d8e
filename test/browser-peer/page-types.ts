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

/** The executor test page's handle (browser-peer/src/testing/executor-suite-page.ts). */
export interface SuiteResult { readonly name: string, readonly ok: boolean, readonly ms: number, readonly error?: string }

export interface BenchRequest {
  readonly wasm: string
  readonly export: string
  readonly inputs: readonly unknown[]
  readonly threads: number
  readonly batch: number
}

export interface BenchResult { readonly ms: number, readonly jobs: number, readonly failed: number, readonly outputs: unknown[], readonly sharedMemory: boolean }

export interface PagePool {
  readonly slots: number
  readonly workers: number
  readonly stats: { workersStarted: number, timeouts: number, crashes: number, busyMs: number, sharedMemory: boolean }
  setThreads: (n: number) => number
  addModule: (hash: string, bytes: Uint8Array) => Promise<void>
  run: (jobs: readonly unknown[]) => Promise<Array<{ id: number, ok: boolean, outputs?: Array<{ port: number, bytes: Uint8Array }>, error?: { name: string, message: string } }>>
  close: () => Promise<void>
}

export interface ExecutorSuiteHandle {
  run: (fixtures: Record<'double' | 'trap' | 'spin' | 'forbidden', string>, threads: number) => Promise<SuiteResult[]>
  bench: (request: BenchRequest) => Promise<BenchResult>
  lib: {
    WebWorkerPool: new (init: { threads: number }) => PagePool
    sha256Hex: (bytes: Uint8Array) => Promise<string>
    encodeValue: (value: unknown) => Uint8Array
    decodeValue: (bytes: Uint8Array) => unknown
    fromBase64: (text: string) => Uint8Array
  }
  crossOriginIsolated: boolean
  hardwareConcurrency: number
}

declare global {
  interface Window {
    __edgeGrid?: EdgeGridHandle
    __executorSuite?: ExecutorSuiteHandle
  }
}
