/**
 * The dashboard's control proof: HMAC-SHA256 over length-prefixed parts, checked against node:crypto's HMAC
 * computed independently; bound to the nonce, the action and the run; the guard bounds what a request may be.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { controlProof, isControlRequest, newControlNonce, verifyControlProof } from '../../../core/dashboard/control-proof.js'

/** The MAC input written out by hand: each part as a 4-byte big-endian length, then its UTF-8 bytes. */
function independent (secret: string, parts: string[]): string {
  const bytes = Buffer.concat(parts.flatMap(p => { const b = Buffer.from(p, 'utf8'); const n = Buffer.alloc(4); n.writeUInt32BE(b.length); return [n, b] }))
  return createHmac('sha256', secret).update(bytes).digest('hex')
}

it('is HMAC-SHA256(secret, label ‖ nonce ‖ action ‖ run id) with length prefixes', () => {
  const nonce = newControlNonce()
  assert.match(nonce, /^[0-9a-f]{64}$/)
  assert.equal(controlProof('s3cret', nonce, 'cancel', 'run-1'), independent('s3cret', ['edge-grid/dashboard-control/1', nonce, 'cancel', 'run-1']))
})

it('holds only for the same secret, nonce, action and run', () => {
  const nonce = newControlNonce()
  const proof = controlProof('s3cret', nonce, 'cancel', 'run-1')
  assert.equal(verifyControlProof('s3cret', { action: 'cancel', runId: 'run-1', nonce, proof }), true)
  assert.equal(verifyControlProof('other', { action: 'cancel', runId: 'run-1', nonce, proof }), false)
  assert.equal(verifyControlProof('s3cret', { action: 'cancel', runId: 'run-2', nonce, proof }), false)
  assert.equal(verifyControlProof('s3cret', { action: 'unlock', runId: 'run-1', nonce, proof }), false)
  assert.equal(verifyControlProof('s3cret', { action: 'cancel', runId: 'run-1', nonce: newControlNonce(), proof }), false)
  assert.equal(verifyControlProof('s3cret', { action: 'cancel', runId: 'run-1', nonce, proof: proof.slice(0, 62) }), false)
})

it('accepts only well-formed, bounded requests', () => {
  const good = { action: 'cancel', runId: 'r', nonce: 'ab'.repeat(32), proof: 'cd'.repeat(32) }
  assert.equal(isControlRequest(good), true)
  assert.equal(isControlRequest({ ...good, action: 'stop' }), false)
  assert.equal(isControlRequest({ ...good, nonce: 'zz' }), false)
  assert.equal(isControlRequest({ ...good, nonce: 'ab'.repeat(33) }), false)
  assert.equal(isControlRequest({ ...good, proof: 'cd'.repeat(33) }), false)
  assert.equal(isControlRequest({ ...good, runId: 'x'.repeat(129) }), false)
  assert.equal(isControlRequest([good]), false)
  assert.equal(isControlRequest(null), false)
})
