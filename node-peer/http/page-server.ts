/**
 * Serves the volunteer page (browser-peer/dist, built by `npm run build:page`) over plain HTTP, next to the
 * coordinator, so that "open http://<coordinator>:<port>/" is all a volunteer does. `GET /config.json` tells
 * the page where the coordinator's libp2p node listens (its WebSocket multiaddrs with /p2p/<id>).
 *
 * Every response carries COOP/COEP (cross-origin isolation): the page's Web Worker pool then gets
 * SharedArrayBuffer to watch job timeouts without a message per job. Static files only, GET/HEAD only,
 * no directory listing, no path outside the root; `routes` (the dashboard's feed and controls, /metrics)
 * answer first. `/dashboard` is the dashboard page (dashboard.html, the second vite entry). `/grid-worker.mjs`
 * is the self-contained worker bundle, for Node machines (http/bundle-download.ts).
 */
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { workerBundlePath } from '../bundle/bundle-path.js'
import { sendWorkerBundle, WORKER_BUNDLE_URL_PATH } from './bundle-download.js'

export interface PageConfig {
  /** The coordinator's WebSocket multiaddrs, each ending in /p2p/<peer id>. */
  readonly bootstrap: readonly string[]
}

/** Answers a request it knows (returns true, having responded) or leaves it to the static files (false). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>

/** Pages served under a clean path (no `.html`). */
const PAGES: Record<string, string> = { '/dashboard': '/dashboard.html' }

export interface PageServerInit {
  /** 0 picks a free port */
  readonly port: number
  /** default 127.0.0.1; use 0.0.0.0 to serve the LAN */
  readonly host?: string
  /** Called per request: addresses can change while the coordinator runs. */
  readonly config: () => PageConfig
  /** The built page (default: browser-peer/dist of this repository). */
  readonly root?: string
  /**
   * Send COOP/COEP (default true). Without them the page still works; its pool then watches timeouts with
   * a message per job instead of shared memory (tests use this to cover that path).
   */
  readonly crossOriginIsolation?: boolean
  readonly routes?: RouteHandler
  /** The worker bundle served at /grid-worker.mjs (default: dist/bundle/grid-worker.mjs of this repository). */
  readonly workerBundle?: string
}

export interface PageServer {
  /** e.g. http://127.0.0.1:8080/ */
  readonly url: string
  readonly port: number
  close: () => Promise<void>
}

// dist/node-peer/http/page-server.js → browser-peer/dist/
export const DEFAULT_PAGE_ROOT = fileURLToPath(new URL('../../../browser-peer/dist/', import.meta.url))

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8'
}

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp'
}
const SECURITY_HEADERS = {
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer'
}

export async function startPageServer (init: PageServerInit): Promise<PageServer> {
  const root = normalize(init.root ?? DEFAULT_PAGE_ROOT)
  const headers: Record<string, string> = { ...SECURITY_HEADERS, ...(init.crossOriginIsolation !== false ? ISOLATION_HEADERS : {}) }
  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
    const routed = async (): Promise<void> => {
      if (init.routes != null && await init.routes(req, res)) return
      await handle(req, res, root, init.config, init.workerBundle ?? workerBundlePath)
    }
    routed().catch(err => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(err as Error).message}\n`)
      else res.destroy()
    })
  })
  const host = init.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(init.port, host, () => { server.off('error', reject); resolve() })
  })
  const address = server.address()
  const port = typeof address === 'object' && address != null ? address.port : init.port
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

async function handle (req: IncomingMessage, res: ServerResponse, root: string, config: () => PageConfig, workerBundle: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD')
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n')
    return
  }
  const url = new URL(req.url ?? '/', 'http://page.invalid')
  if (url.pathname === '/config.json') {
    res.setHeader('Cache-Control', 'no-store')
    send(res, 200, TYPES['.json'], `${JSON.stringify(config())}\n`, req.method === 'HEAD')
    return
  }
  if (url.pathname === WORKER_BUNDLE_URL_PATH) {
    await sendWorkerBundle(req, res, workerBundle)
    return
  }
  let path: string
  try {
    path = decodeURIComponent(url.pathname)
  } catch {
    send(res, 400, 'text/plain; charset=utf-8', 'bad path\n')
    return
  }
  if (path === '/dashboard/') {
    // the page's assets are relative to it: keep it at /dashboard
    res.setHeader('Location', '/dashboard')
    send(res, 308, 'text/plain; charset=utf-8', 'moved to /dashboard\n')
    return
  }
  path = PAGES[path] ?? path
  if (path.endsWith('/')) path += 'index.html'
  const file = normalize(join(root, path))
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep) || path.includes('\0')) {
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n')
    return
  }
  const info = await stat(file).catch(() => undefined)
  if (info == null || !info.isFile()) {
    const missingBuild = path === '/index.html' && await stat(root).then(() => false, () => true)
    send(res, 404, 'text/plain; charset=utf-8', missingBuild ? `the page is not built: run \`npm run build:page\` (looked in ${root})\n` : 'not found\n')
    return
  }
  // hashed asset names never change content; the HTML entry points must be revalidated
  res.setHeader('Cache-Control', path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache')
  send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file), req.method === 'HEAD')
}

function send (res: ServerResponse, status: number, type: string, body: string | Buffer, headOnly = false): void {
  res.setHeader('Content-Type', type)
  res.setHeader('Content-Length', Buffer.byteLength(body))
  res.writeHead(status)
  res.end(headOnly ? undefined : body)
}
