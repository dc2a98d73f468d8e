/**
 * Where the ThreadPool's threads start. Normally node-peer/executor/thread.js beside this file; the
 * self-contained worker bundle (node-peer/bundle/entry.ts) has no such file, so it points the pool at the
 * bundle itself with a marker in `workerData` that makes the bundle run the thread loop instead of the CLI.
 */
export interface ThreadScript {
  /** The module each thread runs. */
  readonly url: URL
  /** Passed to the thread as `workerData`. */
  readonly workerData?: unknown
}

let current: ThreadScript = { url: new URL('./thread.js', import.meta.url) }

export function threadScript (): ThreadScript {
  return current
}

/** Threads started from now on run `script` (set once, at start, by an entry point that is not dist/). */
export function useThreadScript (script: ThreadScript): void {
  current = script
}
