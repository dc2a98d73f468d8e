/**
 * The dashboard of `grid-coordinator serve --http`: its controls take serve's submit secret, and cancelling a
 * submitted run from there goes through the submit server, so the client that submitted it is told why.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { controlProof } from '../../../core/dashboard/control-proof.js'
import { copyExample } from '../../helpers/example-copy.js'
import { clientHome, startClient, startServe, startWorkers, stopAll } from '../../helpers/standing-grid.js'
import type { Serve } from '../../helpers/standing-grid.js'
import type { Proc } from '../../helpers/processes.js'

const SECRET = 'dashboard-and-submit'

const post = async (url: string, body?: unknown): Promise<{ status: number, value: Record<string, unknown> }> => {
  const res = await fetch(url, { method: 'POST', body: body == null ? undefined : JSON.stringify(body) })
  return { status: res.status, value: await res.json() as Record<string, unknown> }
}

it('cancels a submitted run for a viewer who proves serve\'s submit secret; its client is told', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-serve-dash-'))
  let serve: Serve | undefined
  let workers: Proc[] = []
  let client: Proc | undefined
  try {
    serve = await startServe(['--workers', '0', '--http', '0', '--submit-secret', SECRET], dir)
    const [, base] = await serve.proc.waitFor(/grid dashboard: (http:\/\/127\.0\.0\.1:\d+\/)dashboard/)
    workers = await startWorkers(serve, 1, dir)
    client = startClient(['flow.json', '--grid', serve.addr, '--submit-secret', SECRET], await copyExample('primes'), await clientHome())
    const [, runId] = await serve.proc.waitFor(/> run (\S+) started: flow "primes"/, 60_000)

    const wrongNonce = String((await post(`${base}dashboard/challenge`)).value.nonce)
    const wrong = await post(`${base}dashboard/control`, { action: 'cancel', runId, nonce: wrongNonce, proof: controlProof('not it', wrongNonce, 'cancel', runId) })
    assert.equal(wrong.status, 403)
    const nonce = String((await post(`${base}dashboard/challenge`)).value.nonce)
    assert.deepEqual(await post(`${base}dashboard/control`, { action: 'cancel', runId, nonce, proof: controlProof(SECRET, nonce, 'cancel', runId) }), { status: 200, value: { ok: true } })

    const { code } = await client.exited
    assert.notEqual(code, 0)
    assert.match(client.output, new RegExp(`run ${runId} cancelled: cancelled from the dashboard`))
    await serve.proc.waitFor(new RegExp(`< run ${runId} cancelled: cancelled from the dashboard`), 10_000)
  } finally {
    await stopAll([client, ...workers, serve?.proc])
  }
})
