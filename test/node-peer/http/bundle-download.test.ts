/**
 * `/grid-worker.mjs` on the page server (node-peer/http/bundle-download.ts): the built worker bundle, byte
 * for byte, as JavaScript with its length; HEAD gives the length alone; a 404 that says how to build it when
 * it is missing.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPageServer } from '../../../node-peer/http/page-server.js'
import type { PageServer } from '../../../node-peer/http/page-server.js'
import { workerBundlePath } from '../../../node-peer/bundle/bundle-path.js'

interface Reply { status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }

async function get (server: PageServer, path: string, method = 'GET'): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, res => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => { chunks.push(d) }).on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }) })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('page server: the worker bundle', () => {
  let server: PageServer
  let missing: PageServer
  let missingPath: string

  before(async () => {
    server = await startPageServer({ port: 0, config: () => ({ bootstrap: [] }) })
    missingPath = join(await mkdtemp(join(tmpdir(), 'edge-grid-no-bundle-')), 'grid-worker.mjs')
    missing = await startPageServer({ port: 0, config: () => ({ bootstrap: [] }), workerBundle: missingPath })
  })

  after(async () => {
    await server.close()
    await missing.close()
  })

  it('GET /grid-worker.mjs: the built bundle, as JavaScript, with its length', async () => {
    const bundle = await readFile(workerBundlePath)
    const reply = await get(server, '/grid-worker.mjs')
    assert.equal(reply.status, 200)
    assert.equal(reply.headers['content-type'], 'text/javascript; charset=utf-8')
    assert.equal(reply.headers['content-length'], String(bundle.length))
    assert.equal(reply.headers['cache-control'], 'no-cache')
    assert.ok(reply.body.equals(bundle), 'the bytes of dist/bundle/grid-worker.mjs')
  })

  it('HEAD /grid-worker.mjs: the length and no body', async () => {
    const reply = await get(server, '/grid-worker.mjs', 'HEAD')
    assert.equal(reply.status, 200)
    assert.equal(reply.headers['content-length'], String((await readFile(workerBundlePath)).length))
    assert.equal(reply.body.length, 0)
  })

  it('not built: 404 saying how to build it and where it was looked for', async () => {
    const reply = await get(missing, '/grid-worker.mjs')
    assert.equal(reply.status, 404)
    assert.equal(reply.headers['content-type'], 'text/plain; charset=utf-8')
    assert.equal(reply.body.toString(), `the worker bundle is not built: run \`npm run build:bundle\` in the edge-grid folder (looked for ${missingPath})\n`)
  })

  it('POST is refused like any other path', async () => {
    const reply = await get(server, '/grid-worker.mjs', 'POST')
    assert.equal(reply.status, 405)
  })
})
