/**
 * A bare HTTP server for `/metrics` (grid-worker --metrics): GET /metrics answers, everything else is 404.
 * Binds 127.0.0.1 unless told a host, so a worker exposes nothing to the network by default.
 */
import { createServer } from 'node:http'

export interface MetricsServer {
  readonly url: string
  close: () => Promise<void>
}

/** `[HOST:]PORT` as given on the command line; undefined when it is not one. */
export function parseListen (value: string): { readonly host: string, readonly port: number } | undefined {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(value)
  if (m == null) return undefined
  const port = Number(m[2])
  if (port > 65535) return undefined
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port }
}

export async function startMetricsServer (listen: { readonly host: string, readonly port: number }, scrape: () => Promise<{ body: string, contentType: string }>): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://metrics.invalid').pathname
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('only GET /metrics here\n')
      return
    }
    scrape().then(({ body, contentType }) => {
      res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' })
      res.end(req.method === 'HEAD' ? undefined : body)
    }, (err: Error) => {
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end(`could not collect metrics: ${err.message}\n`)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => { server.off('error', reject); resolve() })
  })
  const address = server.address()
  const port = typeof address === 'object' && address != null ? address.port : listen.port
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host
  return {
    url: `http://${host}:${port}/metrics`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}
