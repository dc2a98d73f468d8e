/**
 * The deployment's progress on stderr: hosts, and under each its services with their state.
 *
 *   localhost
 *     ├─ coordinator   running (pid 4242)
 *     └─ worker/0      joined
 *   10.77.0.2
 *     └─ worker/1      starting
 *
 * On a terminal the tree is redrawn in place as states change; elsewhere (a pipe, a log file) it is printed
 * once when deploy() ends, so logs hold the final picture and not a redraw per change.
 */
import type { Host } from './hosts.js'
import type { Service } from './service.js'

export function renderTree (hosts: readonly Host[], services: readonly Service[]): string[] {
  const lines: string[] = []
  const width = Math.max(0, ...services.map(s => s.name.length))
  for (const host of hosts) {
    const mine = services.filter(s => s.host === host)
    if (mine.length === 0) continue
    lines.push(`${host.name}${host.folder != null && host.name !== 'localhost' ? ` (${host.folder})` : ''}`)
    mine.forEach((s, i) => {
      const branch = i === mine.length - 1 ? '└─' : '├─'
      const detail = s.exit != null ? ` (${s.describeExit()})` : s.pid != null ? ` (pid ${s.pid})` : ''
      lines.push(`  ${branch} ${s.name.padEnd(width)}  ${s.state}${detail}`)
    })
  }
  return lines
}

export class ProgressTree {
  private drawn = 0
  private timer: NodeJS.Timeout | undefined
  private readonly live: boolean

  constructor (private readonly hosts: () => readonly Host[], private readonly services: () => readonly Service[], private readonly err: NodeJS.WriteStream = process.stderr) {
    this.live = err.isTTY === true
  }

  /** A state changed: redraw soon (coalesced). */
  changed (): void {
    if (!this.live || this.timer != null) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.draw()
    }, 50)
  }

  /** Something else was printed below the tree: the next draw starts afresh below it instead of over it. */
  interrupted (): void {
    this.drawn = 0
  }

  /** Draws the tree for good (deploy() ended); later output goes below it. */
  finish (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.draw()
    this.drawn = 0
  }

  private draw (): void {
    const lines = renderTree(this.hosts(), this.services())
    const up = this.live && this.drawn > 0 ? `\x1b[${this.drawn}A\r\x1b[J` : ''
    this.err.write(`${up}${lines.join('\n')}\n`)
    this.drawn = lines.length
  }
}
