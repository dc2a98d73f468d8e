import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPageServer } from '../../../node-peer/http/page-server.js'
import type { PageServer } from '../../../node-peer/http/page-server.js'

interface Reply { status: number, headers: Record<string, string | string[] | undefined>, body: string }

/** A raw request (fetch would normalise `..` in paths away before sending). */
async function get (server: PageServer, path: string, method = 'GET'): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => { body += d }).on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('page server', () => {
  let root: string
  let server: PageServer
  let bootstrap = ['/ip4/127.0.0.1/tcp/4748/ws/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN']

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-pages-'))
    root = join(dir, 'dist')
    await mkdir(join(root, 'assets'), { recursive: true })
    await writeFile(join(root, 'index.html'), '<!doctype html><title>page</title>')
    await writeFile(join(root, 'assets', 'main-abc.js'), 'console.log(1)')
    await writeFile(join(dir, 'secret.txt'), 'not for the web')
    server = await startPageServer({ port: 0, root, config: () => ({ bootstrap }) })
  })

  after(async () => { await server.close() })

  it('listens on loopback by default and says so in its url', () => {
    assert.equal(server.url, `http://127.0.0.1:${server.port}/`)
  })

  it('GET /config.json returns the current config, never cached', async () => {
    let r = await get(server, '/config.json')
    assert.equal(r.status, 200)
    assert.match(String(r.headers['content-type']), /^application\/json/)
    assert.equal(r.headers['cache-control'], 'no-store')
    assert.deepEqual(JSON.parse(r.body), { bootstrap })
    bootstrap = [...bootstrap, '/ip4/127.0.0.1/tcp/9/ws/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN']
    r = await get(server, '/config.json?x=1')
    assert.equal(JSON.parse(r.body).bootstrap.length, 2, 'asked again per request')
  })

  it('serves the page and its assets with types, cache rules and cross-origin isolation headers', async () => {
    const page = await get(server, '/')
    assert.equal(page.status, 200)
    assert.equal(page.body, '<!doctype html><title>page</title>')
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8')
    assert.equal(page.headers['cache-control'], 'no-cache')
    assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin')
    assert.equal(page.headers['cross-origin-embedder-policy'], 'require-corp')
    assert.equal(page.headers['x-content-type-options'], 'nosniff')
    const asset = await get(server, '/assets/main-abc.js')
    assert.equal(asset.status, 200)
    assert.equal(asset.headers['content-type'], 'text/javascript; charset=utf-8')
    assert.match(String(asset.headers['cache-control']), /immutable/)
    const head = await get(server, '/index.html', 'HEAD')
    assert.equal(head.status, 200)
    assert.equal(head.body, '')
    assert.equal(head.headers['content-length'], String('<!doctype html><title>page</title>'.length))
  })

  it('never serves a file outside its root, and only GET/HEAD', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/..%2fsecret.txt', '/%00']) {
      const r = await get(server, path)
      assert.equal(r.status === 404 || r.status === 400, true, `${path}: ${r.status}`)
      assert.doesNotMatch(r.body, /not for the web/)
    }
    assert.equal((await get(server, '/nope.js')).status, 404)
    assert.equal((await get(server, '/assets/')).status, 404, 'no directory listing')
    const post = await get(server, '/config.json', 'POST')
    assert.equal(post.status, 405)
    assert.equal(post.headers.allow, 'GET, HEAD')
  })

  it('says how to build the page when it is missing; isolation headers can be turned off', async () => {
    const empty = await startPageServer({ port: 0, root: join(root, 'missing'), config: () => ({ bootstrap: [] }), crossOriginIsolation: false })
    try {
      const r = await get(empty, '/')
      assert.equal(r.status, 404)
      assert.match(r.body, /npm run build:page/)
      assert.equal(r.headers['cross-origin-opener-policy'], undefined)
      assert.equal(r.headers['cross-origin-embedder-policy'], undefined)
      assert.equal((await get(empty, '/config.json')).status, 200)
    } finally {
      await empty.close()
    }
  })
})
