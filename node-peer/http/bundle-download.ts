/**
 * `GET /grid-worker.mjs` on the coordinator's `--http` server: the self-contained worker bundle
 * (node-peer/bundle/), so any machine with Node ≥ 20 joins with two commands, `curl -O …/grid-worker.mjs`
 * then `node grid-worker.mjs --bootstrap …`. Streamed from disk with its length; a clear 404 when it is not built.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { WORKER_BUNDLE_NAME } from '../bundle/bundle-path.js'

/** The URL path the bundle is served at. */
export const WORKER_BUNDLE_URL_PATH = `/${WORKER_BUNDLE_NAME}`

/** Answers with the bundle at `file` (GET or HEAD; the caller has checked the method and the path). */
export async function sendWorkerBundle (req: IncomingMessage, res: ServerResponse, file: string): Promise<void> {
  const info = await stat(file).catch(() => undefined)
  if (info == null || !info.isFile()) {
    const body = `the worker bundle is not built: run \`npm run build:bundle\` in the edge-grid folder (looked for ${file})\n`
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) })
    res.end(body)
    return
  }
  // rebuilt in place by `npm run build:bundle`: always revalidate
  res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Content-Length': info.size, 'Cache-Control': 'no-cache' })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  const stream = createReadStream(file)
  stream.on('error', () => { res.destroy() })
  stream.pipe(res)
}
