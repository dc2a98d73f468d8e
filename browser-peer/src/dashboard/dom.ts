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

export function clock (at: number): string {
  return new Date(at).toTimeString().slice(0, 8)
}
