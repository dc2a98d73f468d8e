/**
 * The dashboard feed over real HTTP: a viewer gets the snapshot at once and then every push (the same JSON
 * for all viewers), is forgotten when it disconnects, and viewers beyond MAX_VIEWERS are turned away.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DashboardFeed, MAX_VIEWERS } from '../../../node-peer/dashboard/feed.js'
import { until } from '../../helpers/dashboard-grid.js'

it('pushes one snapshot to every viewer, forgets viewers that leave, caps how many there are', async () => {
  let n = 0
  const feed = new DashboardFeed({ tick: () => { n++ }, snapshot: () => ({ v: 1, n }) }, 50)
  const server = createServer((req, res) => { feed.serve(req, res) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const viewers: AbortController[] = []
  try {
    const first = new AbortController()
    viewers.push(first)
    const res = await fetch(url, { signal: first.signal })
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    const reader = res.body!.getReader()
    let text = ''
    const decoder = new TextDecoder()
    const events = async (): Promise<string[] | undefined> => {
      const { value } = await reader.read()
      text += decoder.decode(value)
      const data = text.split('\n\n').filter(e => e.startsWith('data: '))
      return data.length >= 3 ? data : undefined
    }
    const data = await until(events, 10_000, 'three pushes')
    const ns = data.map(e => (JSON.parse(e.slice('data: '.length)) as { n: number }).n)
    assert.ok(ns.every((v, i) => i === 0 || v > ns[i - 1]), `each push is a new snapshot: ${ns.join(', ')}`)
    assert.equal(feed.viewerCount, 1)

    for (let i = 1; i < MAX_VIEWERS; i++) {
      const c = new AbortController()
      viewers.push(c)
      await fetch(url, { signal: c.signal })
    }
    assert.equal(feed.viewerCount, MAX_VIEWERS)
    const refused = await fetch(url)
    assert.equal(refused.status, 503)
    assert.match(await refused.text(), /too many dashboard viewers/)

    for (const c of viewers.splice(0)) c.abort()
    await until(async () => feed.viewerCount === 0 ? true : undefined, 10_000, 'viewers forgotten after they left')
  } finally {
    for (const c of viewers) c.abort()
    feed.close()
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  }
})
