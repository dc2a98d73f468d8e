import { it } from 'node:test'
import assert from 'node:assert/strict'
import { coordinatorProof, JOIN_NONCE_BYTES, JOIN_PROOF_BYTES, joinProof, newJoinNonce, verifyCoordinatorProof, verifyJoinProof } from '../../../core/protocol/join-proof.js'

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

it('a coordinator proof verifies for the same secret, worker nonce and peers, and for nothing else', async () => {
  const nonce = newJoinNonce() // the worker's, from its hello
  const proof = await coordinatorProof('s3cret', nonce, C, W)
  assert.equal(proof.length, JOIN_PROOF_BYTES)
  assert.equal(await verifyCoordinatorProof('s3cret', nonce, C, W, proof), true)
  assert.equal(await verifyCoordinatorProof('other', nonce, C, W, proof), false, 'another secret')
  assert.equal(await verifyCoordinatorProof('s3cret', newJoinNonce(), C, W, proof), false, 'another session (nonce)')
  assert.equal(await verifyCoordinatorProof('s3cret', nonce, W, C, proof), false, 'peers swapped')
  assert.equal(await verifyCoordinatorProof('s3cret', nonce, '12D3KooWdecoy', W, proof), false, 'replayed by another coordinator')
  assert.equal(await verifyCoordinatorProof('s3cret', nonce, C, '12D3KooWother', proof), false, 'replayed to another worker')
  assert.equal(await verifyCoordinatorProof('s3cret', nonce, C, W, proof.slice(1)), false, 'truncated')
  assert.equal(await verifyCoordinatorProof('s3cret', nonce, C, W, new Uint8Array(32)), false, 'garbage')
})

it('the two directions use different labels: no proof is valid in the other direction', async () => {
  const nonce = newJoinNonce()
  // the same secret, nonce and peer order (prover first): only the label differs
  const asWorker = await joinProof('s3cret', nonce, C, W)
  const asCoordinator = await coordinatorProof('s3cret', nonce, C, W)
  assert.notDeepEqual(asWorker, asCoordinator)
  assert.equal(await verifyCoordinatorProof('s3cret', nonce, C, W, asWorker), false, 'a worker-label MAC is not a coordinator proof')
  assert.equal(await verifyJoinProof('s3cret', nonce, C, W, asCoordinator), false, 'a coordinator proof is not a worker proof')
  // a decoy that relays a worker's hello nonce to an honest coordinator as its own challenge nonce gets back a
  // worker proof over it: reflected to the worker, that is no coordinator proof
  const reflected = await joinProof('s3cret', nonce, W, C)
  assert.equal(await verifyCoordinatorProof('s3cret', nonce, C, W, reflected), false)
  assert.equal(await verifyCoordinatorProof('s3cret', nonce, W, C, reflected), false)
})
