/**
 * The browser worker page next to a coordinator (`--http`): served on the host of the first TCP listen
 * address, with the coordinator's WebSocket addresses as the page's bootstrap list. A browser can only dial
 * WebSockets (or WebRTC through a relay reached over them), so `withWebSocket` makes sure there is one.
 */
import { startPageServer } from '../http/page-server.js'
import type { PageServer, RouteHandler } from '../http/page-server.js'
import type { CoordinatorNetwork } from './network.js'

const isLoopback = (a: string): boolean => a.startsWith('/ip4/127.') || a.startsWith('/ip6/::1/')
const isWebSocket = (a: string): boolean => /\/wss?(\/|$)/.test(a)

/**
 * `listen` with a WebSocket address added when it has none: beside the first TCP address (same host, any free
 * port), else on the host of the first address. Returns the list unchanged, and no `added`, when it has one.
 */
export function withWebSocket (listen: readonly string[]): { readonly listen: readonly string[], readonly added?: string } {
  if (listen.some(isWebSocket)) return { listen }
  const base = listen.find(a => /\/tcp\//.test(a)) ?? listen[0] ?? '/ip4/127.0.0.1/tcp/0'
  const host = /^\/(ip4|ip6|dns4|dns6|dns)\/([^/]+)\//.exec(base)
  const added = `/${host?.[1] ?? 'ip4'}/${host?.[2] ?? '127.0.0.1'}/tcp/0/ws`
  const at = listen.indexOf(base)
  return { listen: at < 0 ? [...listen, added] : [...listen.slice(0, at + 1), added, ...listen.slice(at + 1)], added }
}

/** `routes`: what else the server answers (the dashboard, /metrics) before its static files. */
export async function servePage (network: CoordinatorNetwork, port: number, routes?: RouteHandler): Promise<PageServer> {
  const first = network.listenAddresses().find(a => a.includes('/tcp/')) ?? '/ip4/127.0.0.1/tcp/0'
  const host = /^\/ip[46]\/([^/]+)\//.exec(first)?.[1] ?? '127.0.0.1'
  return await startPageServer({
    port,
    host,
    routes,
    // the browser dials them in order: loopback last unless the page itself is only served on loopback
    config: () => {
      const ws = network.addresses().filter(a => a.includes('/ws/'))
      return { bootstrap: [...ws.filter(a => !isLoopback(a)), ...ws.filter(isLoopback)] }
    }
  })
}

/** The URLs to print: the page's own, or, when it listens on all interfaces, one per LAN address. */
export function pageUrls (page: PageServer, network: CoordinatorNetwork): string[] {
  const lan = network.addresses().map(a => /^\/ip4\/([^/]+)\/tcp\//.exec(a)?.[1]).filter((ip): ip is string => ip != null && !ip.startsWith('127.'))
  return page.url.includes('://127.0.0.1:') && lan.length > 0 ? [...new Set(lan)].map(ip => `http://${ip}:${page.port}/`) : [page.url]
}
