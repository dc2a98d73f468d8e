/** Figures and charts as the worker page and the dashboard both show them. */

/** Jobs per second, short: `0`, `3.5`, `42`, `1.2k`, `15k`. */
export function formatRate (perSecond: number): string {
  if (perSecond <= 0) return '0'
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(0)}k`
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k`
  if (perSecond >= 10) return perSecond.toFixed(0)
  return perSecond.toFixed(1)
}

/** A span of time, two units at most: `4.2 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`. */
export function formatDuration (ms: number): string {
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`
  const hours = Math.floor(m / 60)
  if (hours < 48) return `${hours} h ${m % 60} min`
  return `${Math.floor(hours / 24)} d ${hours % 24} h`
}

/**
 * A canvas sized to its box in device pixels (sharp on high-density screens), cleared, with its 2D context;
 * undefined when the browser gives no context.
 */
export function fitCanvas (canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D, width: number, height: number, ratio: number } | undefined {
  const ratio = window.devicePixelRatio || 1
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio))
  const height = Math.max(1, Math.round(canvas.clientHeight * ratio))
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width
    canvas.height = height
  }
  const ctx = canvas.getContext('2d')
  if (ctx == null) return undefined
  ctx.clearRect(0, 0, width, height)
  return { ctx, width, height, ratio }
}
