/**
 * Lines of one output stream of a service, kept from the service's start so a reader that comes late misses
 * nothing (Hydro Deploy's "logs are buffered even before we grab stdout"). Every reader gets every line from
 * the first one; iteration ends when the stream ends.
 */

/** Lines kept per stream; beyond it the oldest are dropped (and a reader is told how many) so a chatty service cannot exhaust memory. */
export const MAX_BUFFERED_LINES = 100_000

export class LineBuffer {
  private readonly lines: string[] = []
  private dropped = 0
  private ended = false
  private readonly waiting = new Set<() => void>()
  private rest = ''

  /** Feeds raw text (chunks of any size); complete lines become visible to readers. */
  push (chunk: string): void {
    const parts = (this.rest + chunk).split('\n')
    this.rest = parts.pop() ?? ''
    for (const line of parts) this.add(line.replace(/\r$/, ''))
  }

  /** The stream ended: a last unterminated line is kept, readers finish. */
  end (): void {
    if (this.ended) return
    if (this.rest !== '') this.add(this.rest)
    this.rest = ''
    this.ended = true
    this.wake()
  }

  /** Every line so far (for error messages). */
  tail (n: number): string[] {
    return this.lines.slice(-n)
  }

  async * read (): AsyncGenerator<string, void, undefined> {
    let next = 0
    while (true) {
      if (next < this.dropped) {
        yield `… ${this.dropped - next} earlier lines dropped (more than ${MAX_BUFFERED_LINES} kept)`
        next = this.dropped
      }
      if (next < this.dropped + this.lines.length) {
        yield this.lines[next - this.dropped]
        next++
        continue
      }
      if (this.ended) return
      await new Promise<void>(resolve => { this.waiting.add(resolve) })
    }
  }

  private add (line: string): void {
    this.lines.push(line)
    if (this.lines.length > MAX_BUFFERED_LINES) {
      this.lines.shift()
      this.dropped++
    }
    this.wake()
  }

  private wake (): void {
    const waiting = [...this.waiting]
    this.waiting.clear()
    for (const resolve of waiting) resolve()
  }
}
