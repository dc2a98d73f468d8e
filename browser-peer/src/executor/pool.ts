/**
 * WebWorkerPool: the browser JobExecutor, the shared SandboxPool (core/executor/pool.ts: queueing, packed
 * batches, timeouts, replacement of dead workers, runtime resize) on Web Workers. What is the page's own:
 * the thread count (`navigator.hardwareConcurrency`), and shared memory only on cross-origin-isolated pages
 * (COOP/COEP headers): elsewhere each worker reports job starts by message, and timeouts are watched on those.
 */
import type { AbiLimits } from '../../../core/abi/abi.js'
import type { FromSandbox } from '../../../core/executor/messages.js'
import { SandboxPool } from '../../../core/executor/pool.js'
import type { Sandbox, SandboxEvents, SandboxHost } from '../../../core/executor/sandbox-host.js'

export interface WebWorkerPoolInit {
  /** Number of workers (default: `navigator.hardwareConcurrency`). */
  readonly threads?: number
  /** Memory and output caps applied to every call. */
  readonly limits?: AbiLimits
  /** How often running jobs are checked against their timeout, in ms (default 25). */
  readonly checkEveryMs?: number
  /** Makes one worker (default: the bundled executor worker). */
  readonly createWorker?: () => Worker
}

export interface WebWorkerPoolStats {
  /** Workers started, replacements included. */
  readonly workersStarted: number
  /** Jobs stopped for exceeding their timeout. */
  readonly timeouts: number
  /** Workers that failed on their own (script error, fault). */
  readonly crashes: number
  /** True when timeouts are watched through shared memory (cross-origin-isolated page). */
  readonly sharedMemory: boolean
  /** Time workers spent on batches (dispatch to answer, summed over workers): the CPU time given. */
  readonly busyMs: number
}

/** Most workers one page may ask for: far above any real core count, low enough to stop a typo. */
export const MAX_THREADS = 256

function defaultWorker (): Worker {
  // this exact `new Worker(new URL(…, import.meta.url))` shape is what vite recognises and bundles
  return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'edge-grid-executor' })
}

export function defaultThreads (): number {
  const n = globalThis.navigator?.hardwareConcurrency
  return typeof n === 'number' && n >= 1 ? Math.min(n, MAX_THREADS) : 2
}

/** Starts Web Workers running worker.ts (or whatever `createWorker` makes). */
export function webWorkerHost (createWorker: () => Worker = defaultWorker): SandboxHost {
  return {
    noun: 'worker',
    sharedMemory: typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true,
    spawn (events: SandboxEvents): Sandbox {
      const worker = createWorker()
      worker.addEventListener('message', (evt: MessageEvent<FromSandbox>) => { events.onMessage(evt.data) })
      worker.addEventListener('error', evt => {
        evt.preventDefault()
        events.onError(new Error(evt.message !== '' ? evt.message : 'the worker script failed'))
      })
      worker.addEventListener('messageerror', () => { events.onError(new Error('a message to the worker could not be read')) })
      return {
        post: (message, transfer = []) => { worker.postMessage(message, transfer) },
        terminate: () => { worker.terminate() }
      }
    }
  }
}

export class WebWorkerPool extends SandboxPool {
  private readonly sharedMemory: boolean

  constructor (init: WebWorkerPoolInit = {}) {
    const host = webWorkerHost(init.createWorker)
    super({ host, sandboxes: clampThreads(init.threads ?? defaultThreads()), limits: init.limits, checkEveryMs: init.checkEveryMs })
    this.sharedMemory = host.sharedMemory
  }

  get stats (): WebWorkerPoolStats {
    const { started, timeouts, crashes, busyMs } = this.counts
    return { workersStarted: started, timeouts, crashes, sharedMemory: this.sharedMemory, busyMs }
  }

  /** Workers alive now (retiring ones included). */
  get workers (): number {
    return this.sandboxes
  }

  /** Changes the number of workers; returns the number in effect (clamped to 1..MAX_THREADS). */
  setThreads (threads: number): number {
    const wanted = clampThreads(threads)
    this.resize(wanted)
    return wanted
  }
}

function clampThreads (n: number): number {
  if (!Number.isFinite(n)) return 1
  return Math.max(1, Math.min(MAX_THREADS, Math.floor(n)))
}
