/**
 * Pushes the dashboard's snapshot to its viewers as Server-Sent Events on the page's own HTTP server: one
 * timer for all, the snapshot built and serialised once per push and the same bytes written to every viewer
 * (hundreds of workers or viewers cost one JSON per push). A viewer whose connection cannot keep up skips
 * pushes instead of queueing them; there is a cap on viewers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** Two pushes a second: live enough to watch, cheap for the coordinator. */
export const PUSH_INTERVAL_MS = 500
/** Viewers at once (each holds one HTTP connection). */
export const MAX_VIEWERS = 64
/** Bytes waiting on a viewer's socket above which it skips pushes (a slow link or a stalled tab). */
const MAX_BACKLOG_BYTES = 1024 * 1024

export interface FeedComponents {
  /** Called once per push (and on a timer even without viewers: the model's rates need samples). */
  readonly tick: () => void
  /** The snapshot as it is pushed. */
  readonly snapshot: () => unknown
}

export class DashboardFeed {
  private readonly viewers = new Set<ServerResponse>()
  private readonly timer: ReturnType<typeof setInterval>
  private last: string | undefined

  constructor (private readonly components: FeedComponents, intervalMs = PUSH_INTERVAL_MS) {
    this.timer = setInterval(() => { this.push() }, intervalMs)
    this.timer.unref()
  }

  get viewerCount (): number {
    return this.viewers.size
  }

  /** Answers `GET …/events`: keeps the response open and writes each push to it. */
  serve (_req: IncomingMessage, res: ServerResponse): void {
    if (this.viewers.size >= MAX_VIEWERS) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '10' })
      res.end(`too many dashboard viewers (at most ${MAX_VIEWERS})\n`)
      return
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' })
    // the browser reconnects after this long when the connection drops
    res.write('retry: 2000\n\n')
    this.viewers.add(res)
    const gone = (): void => { this.viewers.delete(res) }
    // the response closes when the viewer goes (the request's own 'close' may come as soon as it was read)
    res.on('close', gone)
    res.on('error', gone)
    this.components.tick()
    res.write(this.frame(JSON.stringify(this.components.snapshot())))
  }

  close (): void {
    clearInterval(this.timer)
    for (const res of this.viewers) res.end()
    this.viewers.clear()
  }

  private push (): void {
    this.components.tick()
    if (this.viewers.size === 0) return
    const frame = this.frame(JSON.stringify(this.components.snapshot()))
    for (const res of this.viewers) {
      if (res.writableLength > MAX_BACKLOG_BYTES) continue
      res.write(frame)
    }
  }

  private frame (json: string): string {
    this.last = json
    return `data: ${json}\n\n`
  }

  /** The last snapshot pushed (tests and the metrics read the model directly). */
  get lastPushed (): string | undefined {
    return this.last
  }
}
