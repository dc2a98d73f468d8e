/**
 * Building DOM without innerHTML: every text that came from the network (worker names, labels, reasons)
 * goes in as a text node, never as markup.
 */
type Child = Node | string | number | null | undefined | false

export function h<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Record<string, string | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) if (value != null) el.setAttribute(name, value)
  for (const child of children) {
    if (child == null || child === false) continue
    el.append(child instanceof Node ? child : String(child))
  }
  return el
}

export function byId<T extends HTMLElement = HTMLElement> (id: string): T {
  const el = document.getElementById(id)
  if (el == null) throw new Error(`dashboard element #${id} is missing`)
  return el as T
}

export function count (n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

export function rate (perSecond: number): string {
  if (perSecond <= 0) return '0'
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(0)}k`
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k`
  if (perSecond >= 10) return perSecond.toFixed(0)
  return perSecond.toFixed(1)
}

export function duration (ms: number): string {
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`
  const hours = Math.floor(m / 60)
  if (hours < 48) return `${hours} h ${m % 60} min`
  return `${Math.floor(hours / 24)} d ${hours % 24} h`
}

export function clock (at: number): string {
  return new Date(at).toTimeString().slice(0, 8)
}
