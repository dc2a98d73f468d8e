/**
 * The throughput chart: one line per run, jobs per second over the last THROUGHPUT_SECONDS, newest at the
 * right edge, drawn on a canvas sized to its CSS box (sharp on high-DPI screens).
 */
import { THROUGHPUT_SECONDS } from '../../../core/dashboard/snapshot.js'
import type { RunView } from '../../../core/dashboard/snapshot.js'
import { h } from './dom.js'
import { fitCanvas, formatRate as rate } from '../format.js'

/** Line colours, one per run in order (runs going on first). */
export const RUN_COLOURS = ['#4f46e5', '#12a150', '#d97706', '#db2777', '#0891b2', '#7c3aed']

/** The chart spans at least this long, and grows with the longest history up to THROUGHPUT_SECONDS. */
const MIN_SPAN_SECONDS = 60

export function drawThroughput (canvas: HTMLCanvasElement, legend: HTMLElement, note: HTMLElement, runs: readonly RunView[]): void {
  const fitted = fitCanvas(canvas)
  if (fitted == null) return
  const { ctx, width, height, ratio } = fitted
  const shown = runs.filter(r => r.throughput.length > 0).slice(0, RUN_COLOURS.length)
  const peak = Math.max(1, ...shown.flatMap(r => r.throughput))
  const style = getComputedStyle(canvas)
  const muted = style.getPropertyValue('--muted').trim() || '#667085'
  const line = style.getPropertyValue('--line').trim() || '#e4e7ef'
  const top = 18 * ratio
  const plot = height - top - 4 * ratio
  // grid: the peak and half of it
  ctx.strokeStyle = line
  ctx.lineWidth = ratio
  ctx.fillStyle = muted
  ctx.font = `${11 * ratio}px system-ui, sans-serif`
  for (const f of [1, 0.5]) {
    const y = Math.round(top + plot * (1 - f)) + 0.5
    ctx.beginPath()
    ctx.moveTo(0, y)
    ctx.lineTo(width, y)
    ctx.stroke()
    ctx.fillText(`${rate(peak * f)}/s`, 6 * ratio, y - 4 * ratio)
  }
  const span = Math.min(THROUGHPUT_SECONDS, Math.max(MIN_SPAN_SECONDS, ...shown.map(r => r.throughput.length)))
  note.textContent = `jobs/s per run, last ${span >= 120 ? `${Math.round(span / 60)} minutes` : `${span} s`}`
  const step = width / (span - 1)
  const bottom = top + plot
  shown.forEach((run, i) => {
    const points = run.throughput.slice(-span)
    const offset = span - points.length
    const xy = points.map((v, j): [number, number] => [(offset + j) * step, top + plot * (1 - v / peak)])
    if (xy.length === 0) return
    // a light area under the line, then the line
    ctx.beginPath()
    ctx.moveTo(xy[0][0], bottom)
    for (const [x, y] of xy) ctx.lineTo(x, y)
    ctx.lineTo(xy[xy.length - 1][0], bottom)
    ctx.closePath()
    ctx.fillStyle = `${RUN_COLOURS[i]}22`
    ctx.fill()
    ctx.beginPath()
    xy.forEach(([x, y], j) => { if (j === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y) })
    ctx.strokeStyle = RUN_COLOURS[i]
    ctx.lineWidth = 2 * ratio
    ctx.lineJoin = 'round'
    ctx.stroke()
  })
  legend.replaceChildren(...shown.map((run, i) => h('li', {}, h('i', { style: `background:${RUN_COLOURS[i]}` }), `${run.flow} `, h('span', { class: 'mono' }, run.runId.slice(0, 8)))))
}
