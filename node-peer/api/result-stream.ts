/**
 * A sink delivered to code: the grid's sink writes become an async iterable of decoded items. A write
 * resolves only once the reader has taken its last item, so a slow reader slows the flow (the coordinator
 * stops handing out jobs when its sink queue is full) and nothing piles up here.
 */
import { decodeValue } from '../../core/codec.js'
import type { SinkWriter } from '../../core/run/flow-run.js'

interface Batch {
  readonly items: readonly Uint8Array[]
  readonly tags?: ReadonlyArray<string | undefined>
  next: number
  readonly taken: () => void
}

export class ResultStream {
  private readonly batches: Batch[] = []
  private wake: (() => void) | undefined
  private end: { readonly error?: Error } | undefined
  /** The reader stopped: writes are dropped from now on (the run is being cancelled). */
  private stopped = false
  reading = false

  constructor (readonly name: string, private readonly onStop: () => void) {}

  /** The SinkWriter the client run writes to (a new one per open: after a reconnect the stream goes on). */
  writer (): SinkWriter {
    return {
      keepsWrites: true,
      write: async (items, tags) => { await this.push(items, tags) },
      // close(false) also comes before a reopen: the stream ends with the run's outcome instead (finish)
      close: async ok => { if (ok) this.finish() }
    }
  }

  /** Ends the iterable: normally, or with `error` once the buffered items were read. */
  finish (error?: Error): void {
    this.end ??= error != null ? { error } : {}
    this.wake?.()
  }

  /** The run is cancelled: writes waiting for the reader resolve now, later ones are dropped. */
  release (): void {
    this.stopped = true
    for (const b of this.batches.splice(0)) b.taken()
  }

  async * read (): AsyncGenerator<unknown, void, undefined> {
    for await (const entry of this.entries()) yield entry.value
  }

  /** The items with their tags (an indexed source's positions: grid.map orders by them). */
  async * entries (): AsyncGenerator<{ readonly value: unknown, readonly tag: string | undefined }, void, undefined> {
    try {
      for (;;) {
        const batch = this.batches[0]
        if (batch != null) {
          const at = batch.next++
          if (batch.next >= batch.items.length) {
            this.batches.shift()
            batch.taken()
          }
          yield { value: decodeValue(batch.items[at]), tag: batch.tags?.[at] }
          continue
        }
        if (this.end != null) {
          if (this.end.error != null) throw this.end.error
          return
        }
        await new Promise<void>(resolve => { this.wake = resolve })
        this.wake = undefined
      }
    } finally {
      if (this.end == null) {
        // the reader left early (break, return, throw): release the writes and stop the run
        this.stopped = true
        for (const b of this.batches.splice(0)) b.taken()
        this.onStop()
      }
    }
  }

  private async push (items: readonly Uint8Array[], tags?: ReadonlyArray<string | undefined>): Promise<void> {
    if (this.stopped || items.length === 0) return
    await new Promise<void>(resolve => {
      this.batches.push({ items, ...(tags != null ? { tags } : {}), next: 0, taken: resolve })
      this.wake?.()
    })
  }
}
