/**
 * ThreadPool: the Node JobExecutor, the shared SandboxPool (core/executor/pool.ts: queueing, packed batches,
 * timeouts, replacement of dead threads) on worker_threads. What is Node's own: the thread count
 * (`os.availableParallelism()`), V8 heap caps per thread, and idle threads not keeping the process alive.
 */
import { Worker } from 'node:worker_threads'
import type { ResourceLimits } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import type { AbiLimits } from '../../core/abi/abi.js'
import type { FromSandbox } from '../../core/executor/messages.js'
import { SandboxPool } from '../../core/executor/pool.js'
import type { Sandbox, SandboxEvents, SandboxHost } from '../../core/executor/sandbox-host.js'
import { threadScript } from './thread-script.js'

export interface ThreadPoolInit {
  /** Number of threads (default: `os.availableParallelism()`). */
  readonly threads?: number
  /** Memory and output caps applied to every call. */
  readonly limits?: AbiLimits
  /** V8 heap caps per thread (worker_threads `resourceLimits`): a thread exceeding them dies and is replaced. */
  readonly resourceLimits?: ResourceLimits
  /** How often running jobs are checked against their timeout, in ms (default 25). */
  readonly checkEveryMs?: number
}

export interface ThreadPoolStats {
  /** Threads started, replacements included. */
  readonly threadsStarted: number
  /** Jobs stopped for exceeding their timeout. */
  readonly timeouts: number
  /** Threads that died on their own (not stopped by the pool). */
  readonly crashes: number
}

/** Starts threads running thread.ts (or what thread-script.ts says instead). */
export function workerThreadsHost (resourceLimits?: ResourceLimits): SandboxHost {
  const { url, workerData } = threadScript()
  return {
    noun: 'thread',
    sharedMemory: true,
    spawn (events: SandboxEvents): Sandbox {
      const worker = new Worker(url, { resourceLimits, workerData })
      // Idle threads do not keep the process alive; a thread with work does (`hold`).
      worker.unref()
      worker.on('message', (message: FromSandbox) => { events.onMessage(message) })
      worker.on('error', err => { events.onError(err) })
      worker.on('exit', code => { events.onError(new Error(`thread exited with code ${code}`)) })
      return {
        post: (message, transfer) => { worker.postMessage(message, transfer) },
        terminate: async () => { await worker.terminate() },
        hold: busy => { if (busy) worker.ref(); else worker.unref() }
      }
    }
  }
}

export class ThreadPool extends SandboxPool {
  constructor (init: ThreadPoolInit = {}) {
    super({
      host: workerThreadsHost(init.resourceLimits),
      sandboxes: Math.max(1, Math.floor(init.threads ?? availableParallelism())),
      limits: init.limits,
      checkEveryMs: init.checkEveryMs
    })
  }

  get stats (): ThreadPoolStats {
    const { started, timeouts, crashes } = this.counts
    return { threadsStarted: started, timeouts, crashes }
  }
}
