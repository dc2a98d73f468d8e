import { it } from 'node:test'
import assert from 'node:assert/strict'
import { JOIN_NONCE_BYTES, JOIN_PROOF_BYTES, joinProof, newJoinNonce, verifyJoinProof } from '../../../core/protocol/join-proof.js'

const W = '12D3KooWworker'
const C = '12D3KooWcoordinator'

it('a proof verifies for the same secret, nonce and peers, and for nothing else', async () => {
  const nonce = newJoinNonce()
  assert.equal(nonce.length, JOIN_NONCE_BYTES)
  const proof = await joinProof('s3cret', nonce, W, C)
  assert.equal(proof.length, JOIN_PROOF_BYTES)
  assert.equal(await verifyJoinProof('s3cret', nonce, W, C, proof), true)
  assert.equal(await verifyJoinProof('other', nonce, W, C, proof), false, 'another secret')
  assert.equal(await verifyJoinProof('s3cret', newJoinNonce(), W, C, proof), false, 'another session (nonce)')
  assert.equal(await verifyJoinProof('s3cret', nonce, '12D3KooWthief', C, proof), false, 'replayed by another peer')
  assert.equal(await verifyJoinProof('s3cret', nonce, W, '12D3KooWother', proof), false, 'replayed to another coordinator')
  assert.equal(await verifyJoinProof('s3cret', nonce, C, W, proof), false, 'peers swapped')
  assert.equal(await verifyJoinProof('s3cret', nonce, W, C, proof.slice(1)), false, 'truncated')
  assert.equal(await verifyJoinProof('s3cret', nonce, W, C, new Uint8Array(0)), false, 'empty')
})

it('the proof does not contain the secret and changes with every nonce', async () => {
  const secret = 'abcdefghijklmnopqrstuvwxyz012345' // as long as a proof
  const a = await joinProof(secret, newJoinNonce(), W, C)
  const b = await joinProof(secret, newJoinNonce(), W, C)
  assert.notDeepEqual(a, b)
  assert.notDeepEqual(a, new TextEncoder().encode(secret))
})
