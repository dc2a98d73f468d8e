/**
 * One run of a flow, as the program sees it: its sinks delivered to code as async iterables, typed events,
 * a `done` promise with the summary, and cancellation (by call, by signal, or by a reader leaving early).
 */
import { errorFromData } from '../../core/errors.js'
import type { RunProgressMessage } from '../../core/protocol/submit-messages.js'
import type { RunSummary } from '../../core/run/flow-run.js'
import type { ClientRun } from '../client/client-run.js'
import type { CodeFeed } from './code-sources.js'
import { GridUsageError, RunCancelledError, RunFailedError } from './errors.js'
import type { ResultStream } from './result-stream.js'

/** A run's progress, about twice a second while it runs. */
export type RunProgress = RunProgressMessage

/** The events of a run and what their listeners receive. */
export interface GridRunEvents {
  /** Jobs done, out and queued, and the workers the coordinator has. */
  progress: RunProgress
  /** The run ended: its summary, or the error `done` rejects with. */
  end: { readonly summary?: RunSummary, readonly error?: Error }
}

export class GridRun {
  /** Resolves with the summary of a successful run; rejects with RunFailedError or RunCancelledError. */
  readonly done: Promise<RunSummary>
  private readonly listeners = new Map<keyof GridRunEvents, Set<(detail: never) => void>>()

  /** @internal built by Grid.run */
  constructor (
    private readonly client: ClientRun,
    private readonly streams: ReadonlyMap<string, ResultStream>,
    feeds: ReadonlyMap<string, CodeFeed>,
    signal?: AbortSignal
  ) {
    client.addEventListener('progress', ({ detail }) => { this.emit('progress', detail) })
    // a cancelled run's sink writes must not wait for readers that may never come
    client.addEventListener('ending', ({ detail }) => { if (detail.kind === 'cancelled') for (const s of streams.values()) s.release() })
    const onAbort = (): void => { this.cancel() }
    signal?.addEventListener('abort', onAbort, { once: true })
    this.done = client.outcome.then(async outcome => {
      signal?.removeEventListener('abort', onAbort)
      await Promise.all([...feeds.values()].map(async f => { await f.close() }))
      if (outcome.kind === 'cancelled') throw new RunCancelledError(`run ${client.runId} was cancelled: ${outcome.reason}`)
      const { summary } = outcome
      if (!summary.ok) {
        const f = summary.failure
        const cause = f != null ? errorFromData(f.error) : undefined
        throw new RunFailedError(f != null ? `run ${client.runId} failed: stage "${f.stage}", input ${f.input}, after ${f.attempts} attempt(s): ${f.error.name}: ${f.error.message}` : `run ${client.runId} failed`, summary, { cause })
      }
      return summary
    }).then(summary => {
      for (const s of streams.values()) s.finish()
      this.emit('end', { summary })
      return summary
    }, (error: Error) => {
      for (const s of streams.values()) s.finish(error)
      this.emit('end', { error })
      throw error
    })
    // a program that stops reading early and never awaits `done` must not get an unhandled rejection
    this.done.catch(() => {})
  }

  /** The run's id on the coordinator. */
  get id (): string {
    return this.client.runId
  }

  /** The latest progress heard. */
  get progress (): RunProgress | undefined {
    return this.client.latest
  }

  /**
   * The decoded items of sink `sink`, in the order the grid delivers them. Reading slowly slows the flow
   * (the sink's writes wait for the reader). Leaving the loop early (break, return, throw) cancels the run.
   * Ends after the last item; throws the run's error (RunFailedError, RunCancelledError) if it did not succeed.
   * Each sink can be read once.
   */
  results (sink: string): AsyncIterable<unknown> {
    return this.claim(sink).read()
  }

  /** @internal the items with their tags (grid.map) */
  tagged (sink: string): AsyncIterable<{ readonly value: unknown, readonly tag: string | undefined }> {
    return this.claim(sink).entries()
  }

  private claim (sink: string): ResultStream {
    const stream = this.streams.get(sink)
    if (stream == null) {
      throw new GridUsageError(`no sink "${sink}" is delivered to code in this run (it has ${[...this.streams.keys()].map(s => `"${s}"`).join(', ') || 'none'}; sinks listed in run options' \`local\` are written as files instead)`)
    }
    if (stream.reading) throw new GridUsageError(`sink "${sink}" is already being read: results() gives each sink to one reader`)
    stream.reading = true
    return stream
  }

  /** Listens to an event; returns a function that stops listening. */
  on<E extends keyof GridRunEvents> (event: E, listener: (detail: GridRunEvents[E]) => void): () => void {
    let set = this.listeners.get(event)
    if (set == null) this.listeners.set(event, set = new Set())
    set.add(listener as (detail: never) => void)
    return () => { set.delete(listener as (detail: never) => void) }
  }

  /** Asks the coordinator to cancel the run; `done` then rejects with RunCancelledError. */
  cancel (): void {
    if (!this.client.ended) this.client.cancel()
  }

  /** @internal the grid stopped or was lost: the run ends here with this reason. */
  async abandon (reason: string): Promise<void> {
    await this.client.abandon(reason)
  }

  private emit<E extends keyof GridRunEvents> (event: E, detail: GridRunEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as (d: GridRunEvents[E]) => void)(detail)
      } catch { /* a listener's own error is its business; the run goes on */ }
    }
  }
}
