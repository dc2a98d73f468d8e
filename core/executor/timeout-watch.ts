/**
 * Job timeouts. WASM cannot be interrupted, so a sandbox publishes which job of which batch it runs and since
 * when; while work runs, the pool compares that with each job's `timeoutMs` and stops an overdue sandbox.
 *
 * Two ways to publish, one way to read: with shared memory (worker_threads; cross-origin-isolated pages) the
 * sandbox writes the three slots of an Int32Array the pool reads with Atomics; without it (a page that is not
 * isolated) the sandbox posts a `progress` message per job start and the pool copies it into the same slots.
 */
import type { FromSandbox, JobStarted } from './messages.js'

/** Slots of a sandbox's progress array (Int32Array). */
export const ProgressSlot = {
  /** Index + 1 of the job of the current batch being run now; 0 when no job runs. */
  running: 0,
  /** When that job started: ms since `epochMs`, wrapping int32 (compare with wrap-safe subtraction). */
  startedMs: 1,
  /** Sequence number of the batch the sandbox works on (the `seq` of its RunBatch). */
  batch: 2
} as const
export const PROGRESS_SLOTS = 3

/** Ms since `epochMs` on the shared wall clock, wrapping like the slots (only differences are compared). */
export function clockMs (epochMs: number): number {
  return (performance.timeOrigin + performance.now() - epochMs) | 0
}

/** The pool's view of one sandbox's progress. */
export class ProgressView {
  private readonly slots: Int32Array
  /** The buffer to hand to the sandbox (in its `init`), when memory is shared. */
  readonly shared: SharedArrayBuffer | undefined

  constructor (sharedMemory: boolean) {
    const bytes = PROGRESS_SLOTS * Int32Array.BYTES_PER_ELEMENT
    this.shared = sharedMemory ? new SharedArrayBuffer(bytes) : undefined
    this.slots = new Int32Array(this.shared ?? new ArrayBuffer(bytes))
  }

  /** A new batch goes out: without shared memory nothing says the previous one's last job ended. */
  dispatched (): void {
    if (this.shared == null) Atomics.store(this.slots, ProgressSlot.running, 0)
  }

  /** Copies a `progress` message into the slots (no shared memory). */
  record (message: JobStarted): void {
    this.slots[ProgressSlot.startedMs] = message.startedMs
    this.slots[ProgressSlot.batch] = message.batch
    this.slots[ProgressSlot.running] = message.running
  }

  /** The index (within its batch) of the job running now, if it belongs to batch `seq`. */
  runningIndex (seq: number): number | undefined {
    const running = Atomics.load(this.slots, ProgressSlot.running)
    if (running === 0 || Atomics.load(this.slots, ProgressSlot.batch) !== seq) return undefined
    return running - 1
  }

  /** Ms the running job has been running, on the clock counted from `epochMs`. */
  elapsedMs (epochMs: number): number {
    return (clockMs(epochMs) - Atomics.load(this.slots, ProgressSlot.startedMs)) | 0
  }
}

/** The sandbox's side: publishes each job start (shared slots, else a message). */
export class ProgressReporter {
  private readonly slots: Int32Array | undefined

  constructor (shared: SharedArrayBuffer | undefined, private readonly epochMs: number, private readonly post: (message: FromSandbox) => void) {
    this.slots = shared != null ? new Int32Array(shared, 0, PROGRESS_SLOTS) : undefined
  }

  /** Job `index` (0-based) of batch `batch` starts now. */
  started (batch: number, index: number): void {
    const startedMs = clockMs(this.epochMs)
    if (this.slots == null) {
      this.post({ type: 'progress', batch, running: index + 1, startedMs })
      return
    }
    // Start time first, then the index: the pool reads the index, then the time.
    Atomics.store(this.slots, ProgressSlot.startedMs, startedMs)
    Atomics.store(this.slots, ProgressSlot.batch, batch)
    Atomics.store(this.slots, ProgressSlot.running, index + 1)
  }

  /** The batch ended (its answer follows). */
  idle (): void {
    if (this.slots != null) Atomics.store(this.slots, ProgressSlot.running, 0)
  }
}

/** Calls `check` every `everyMs` while started; never keeps a Node process alive by itself. */
export class WatchTimer {
  private timer: ReturnType<typeof setInterval> | undefined

  constructor (private readonly everyMs: number, private readonly check: () => void) {}

  start (): void {
    if (this.timer != null) return
    this.timer = setInterval(this.check, this.everyMs)
    // Node's timers have unref (a pool with work holds the process through its sandboxes); a page's do not.
    const handle: unknown = this.timer
    if (typeof handle === 'object' && handle != null && 'unref' in handle && typeof handle.unref === 'function') handle.unref()
  }

  stop (): void {
    if (this.timer == null) return
    clearInterval(this.timer)
    this.timer = undefined
  }
}
