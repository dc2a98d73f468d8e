/**
 * The dashboard's only write path: a viewer who proves the submit secret may cancel a run. The secret is
 * never sent (core/dashboard/control-proof.ts): `POST /dashboard/challenge` hands out a one-time nonce,
 * `POST /dashboard/control` carries the action, the run and HMAC(secret, nonce, action, run). Nonces expire
 * and are used once; bodies are capped and checked by a guard before anything else.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isControlRequest, MAX_CONTROL_BODY_BYTES, newControlNonce, verifyControlProof } from '../../core/dashboard/control-proof.js'

/** A nonce is good this long after it was handed out. */
export const NONCE_TTL_MS = 60_000
/** Nonces outstanding at once (older ones are dropped first). */
const MAX_NONCES = 256

export interface ControlComponents {
  /** Cancels a run going on; false when there is no such run. */
  readonly cancel: (runId: string) => boolean
  /** What happened, for the dashboard's event list. */
  readonly note: (text: string) => void
  readonly now?: () => number
}

export class DashboardControl {
  private readonly nonces = new Map<string, number>()
  private readonly now: () => number

  constructor (private readonly secret: string | undefined, private readonly components: ControlComponents) {
    this.now = components.now ?? (() => Date.now())
  }

  get enabled (): boolean {
    return this.secret != null
  }

  async challenge (req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.allowed(req, res)) return
    const now = this.now()
    for (const [nonce, issued] of this.nonces) if (now - issued > NONCE_TTL_MS || this.nonces.size >= MAX_NONCES) this.nonces.delete(nonce)
    const nonce = newControlNonce()
    this.nonces.set(nonce, now)
    json(res, 200, { nonce })
  }

  async control (req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.allowed(req, res)) return
    const body = await readBody(req, MAX_CONTROL_BODY_BYTES)
    let request: unknown
    try {
      request = body == null ? undefined : JSON.parse(body)
    } catch { /* answered below */ }
    if (!isControlRequest(request)) {
      json(res, 400, { error: `expected a JSON body of at most ${MAX_CONTROL_BODY_BYTES} bytes: {"action": "unlock" | "cancel", "runId", "nonce", "proof"}` })
      return
    }
    const issued = this.nonces.get(request.nonce)
    this.nonces.delete(request.nonce)
    if (issued == null || this.now() - issued > NONCE_TTL_MS) {
      json(res, 403, { error: 'unknown or expired nonce: ask POST /dashboard/challenge for a new one' })
      return
    }
    if (!verifyControlProof(this.secret!, request)) {
      this.components.note('a dashboard viewer failed to prove the submit secret')
      json(res, 403, { error: 'wrong proof: the submit secret does not match' })
      return
    }
    if (request.action === 'unlock') {
      json(res, 200, { ok: true })
      return
    }
    if (!this.components.cancel(request.runId)) {
      json(res, 404, { error: `no run ${request.runId} is going on` })
      return
    }
    json(res, 200, { ok: true })
  }

  private allowed (req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST')
      json(res, 405, { error: 'use POST' })
      return false
    }
    if (this.secret == null) {
      json(res, 403, { error: 'read-only: this coordinator has no submit secret' })
      return false
    }
    return true
  }
}

function json (res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}

/** The body as text, or undefined when it is longer than `max` bytes (the rest is not read). */
async function readBody (req: IncomingMessage, max: number): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > max) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
