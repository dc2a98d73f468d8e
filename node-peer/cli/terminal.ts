/**
 * The one place that writes to the terminal during a run: sink lines go to stdout, the progress line to
 * stderr, and on a TTY the progress line is cleared before any other output so the two never garble.
 */
import { once } from 'node:events'

export class Terminal {
  private statusShown = false
  readonly statusIsTty: boolean

  constructor (private readonly out: NodeJS.WriteStream = process.stdout, private readonly err: NodeJS.WriteStream = process.stderr) {
    this.statusIsTty = err.isTTY === true
  }

  /** Writes output text (sink lines); resolves when the stream can take more (backpressure). */
  async write (text: string): Promise<void> {
    this.clearStatus()
    if (!this.out.write(text)) await once(this.out, 'drain')
  }

  /** A log line on stderr. */
  log (line: string): void {
    this.clearStatus()
    this.err.write(`${line}\n`)
  }

  /** Redraws the one-line status (TTY only). */
  status (line: string): void {
    if (!this.statusIsTty) return
    const width = Math.max(20, (this.err.columns ?? 100) - 1)
    this.err.write(`\r\x1b[2K${line.slice(0, width)}`)
    this.statusShown = true
  }

  clearStatus (): void {
    if (!this.statusShown) return
    this.err.write('\r\x1b[2K')
    this.statusShown = false
  }
}
