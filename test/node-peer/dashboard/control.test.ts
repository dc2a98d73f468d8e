/**
 * The dashboard's control endpoints over real HTTP (the page server with a Dashboard on a real Coordinator):
 * read-only without a submit secret; with one, a nonce is good once and for a minute, a wrong proof and a
 * malformed or oversized body are refused, only POST is allowed, and cancelling a run not going on says so.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { controlProof, MAX_CONTROL_BODY_BYTES } from '../../../core/dashboard/control-proof.js'
import { Coordinator } from '../../../node-peer/coordinator/coordinator.js'
import { Dashboard } from '../../../node-peer/dashboard/dashboard.js'
import { startPageServer } from '../../../node-peer/http/page-server.js'

async function withDashboard (submitSecret: string | undefined, body: (url: string) => Promise<void>): Promise<void> {
  const coordinator = new Coordinator({ openSink: async () => ({ async write () {}, async close () {} }) })
  const dashboard = new Dashboard({ coordinator, submitSecret })
  const server = await startPageServer({ port: 0, config: () => ({ bootstrap: [] }), routes: dashboard.routes })
  try {
    await body(server.url)
  } finally {
    await server.close()
    dashboard.close()
    await coordinator.stop()
  }
}

const post = async (url: string, body?: string): Promise<{ status: number, value: Record<string, unknown> }> => {
  const res = await fetch(url, { method: 'POST', body })
  return { status: res.status, value: await res.json() as Record<string, unknown> }
}

it('is read-only without a submit secret', async () => {
  await withDashboard(undefined, async url => {
    const challenge = await post(`${url}dashboard/challenge`)
    assert.equal(challenge.status, 403)
    assert.match(String(challenge.value.error), /read-only/)
  })
})

it('takes a proof once per nonce, and refuses wrong proofs, bad bodies and other methods', async () => {
  const secret = 'submit-secret'
  await withDashboard(secret, async url => {
    const nonce = String((await post(`${url}dashboard/challenge`)).value.nonce)
    const unlock = JSON.stringify({ action: 'unlock', runId: '', nonce, proof: controlProof(secret, nonce, 'unlock', '') })
    assert.deepEqual(await post(`${url}dashboard/control`, unlock), { status: 200, value: { ok: true } })
    const replay = await post(`${url}dashboard/control`, unlock)
    assert.equal(replay.status, 403)
    assert.match(String(replay.value.error), /unknown or expired nonce/)

    const next = String((await post(`${url}dashboard/challenge`)).value.nonce)
    const wrong = await post(`${url}dashboard/control`, JSON.stringify({ action: 'unlock', runId: '', nonce: next, proof: controlProof('guess', next, 'unlock', '') }))
    assert.equal(wrong.status, 403)
    assert.match(String(wrong.value.error), /wrong proof/)

    const third = String((await post(`${url}dashboard/challenge`)).value.nonce)
    const cancel = await post(`${url}dashboard/control`, JSON.stringify({ action: 'cancel', runId: 'no-such-run', nonce: third, proof: controlProof(secret, third, 'cancel', 'no-such-run') }))
    assert.equal(cancel.status, 404)
    assert.match(String(cancel.value.error), /no run no-such-run is going on/)

    assert.equal((await post(`${url}dashboard/control`, '{"action":')).status, 400)
    assert.equal((await post(`${url}dashboard/control`, 'x'.repeat(MAX_CONTROL_BODY_BYTES + 1))).status, 400)
    assert.equal((await fetch(`${url}dashboard/challenge`)).status, 405)
  })
})

it('serves /metrics and the dashboard page next to the volunteer page', async () => {
  await withDashboard(undefined, async url => {
    const metrics = await fetch(`${url}metrics`)
    assert.equal(metrics.status, 200)
    assert.match(await metrics.text(), /# TYPE edge_grid_jobs_total counter/)
    const page = await fetch(`${url}dashboard`)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /<title>edge-grid · dashboard<\/title>/)
    const slash = await fetch(`${url}dashboard/`, { redirect: 'manual' })
    assert.equal(slash.status, 308)
    assert.equal(slash.headers.get('location'), '/dashboard')
  })
})
