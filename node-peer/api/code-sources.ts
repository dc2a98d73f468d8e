/**
 * Sources fed from code (`{ "type": "client" }`): a sync or async iterable, pulled only when the coordinator
 * asks for items (its credits are the backpressure), encoded as the grid's items. The coordinator reopens a
 * cursor after a reconnect, skipping what it received; the last items handed out are kept so that those lost
 * in flight are sent again. Before that, an iterator cannot go back: such a reopen fails with a clear error.
 */
import { encodeValue } from '../../core/codec.js'
import type { SourceCursor } from '../../core/run/sources.js'
import { SourceDataError } from '../sources.js'

/** What a code source may be: an array, a generator, any sync or async iterable of JSON-like values. */
export type CodeSource = Iterable<unknown> | AsyncIterable<unknown>

/** Items kept for a reopen (a few pulls' worth: the coordinator pulls at most this many before acknowledging). */
const REPLAY_ITEMS = 16384

/** One code source of a run: the iterator, how far it was read, and the replay window. */
export class CodeFeed {
  private readonly sync: Iterator<unknown> | undefined
  private readonly async: AsyncIterator<unknown> | undefined
  /** A next() still pending from the last read (an async iterator slower than one turn of the event loop). */
  private pending: Promise<IteratorResult<unknown>> | undefined
  private readonly replay: Uint8Array[] = []
  private ended = false
  /** Items taken from the iterator so far. */
  count = 0

  constructor (readonly name: string, source: CodeSource, readonly total?: number) {
    if (Symbol.asyncIterator in source) this.async = source[Symbol.asyncIterator]()
    else this.sync = source[Symbol.iterator]()
  }

  /** A cursor from the beginning (the coordinator skips what it already has). */
  cursor (): SourceCursor {
    let at = 0
    return {
      read: async max => {
        const items = await this.readAt(at, max)
        at += items.length
        return items
      },
      progress: () => ({ done: at, ...(this.total != null ? { total: this.total } : {}) }),
      close: async () => {}
    }
  }

  /** Stops the iterator (a generator's `finally` runs). */
  async close (): Promise<void> {
    this.ended = true
    try {
      this.sync?.return?.()
      await this.async?.return?.()
    } catch { /* the iterable's own clean-up failed: nothing left to read from it anyway */ }
  }

  private async readAt (at: number, max: number): Promise<Uint8Array[]> {
    const kept = this.count - this.replay.length
    if (at < kept) throw new SourceDataError(`source "${this.name}": the coordinator asked again for items from ${at}, but an iterable given from code cannot go back further than ${kept}`)
    if (at < this.count) return this.replay.slice(at - kept, at - kept + max)
    const items = (await this.take(max)).map(v => encodeValue(v))
    this.count += items.length
    this.replay.push(...items)
    if (this.replay.length > REPLAY_ITEMS) this.replay.splice(0, this.replay.length - REPLAY_ITEMS)
    return items
  }

  /** Up to `max` values: as many as come at once, but at least one unless the iterable ended. */
  private async take (max: number): Promise<unknown[]> {
    const values: unknown[] = []
    if (this.ended) return values
    if (this.sync != null) {
      while (values.length < max) {
        const next = this.sync.next()
        if (next.done === true) {
          this.ended = true
          break
        }
        values.push(next.value)
      }
      return values
    }
    const turn = Symbol('turn')
    while (values.length < max) {
      const next = this.pending ?? this.async!.next()
      this.pending = undefined
      // the first value is waited for; later ones only while they come without waiting a turn of the loop
      const got = values.length === 0 ? await next : await Promise.race([next, new Promise<typeof turn>(resolve => setImmediate(() => { resolve(turn) }))])
      if (got === turn) {
        this.pending = next
        break
      }
      if (got.done === true) {
        this.ended = true
        break
      }
      values.push(got.value)
    }
    return values
  }
}
