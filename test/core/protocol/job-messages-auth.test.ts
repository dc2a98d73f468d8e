/**
 * The guards on the join-proof fields (both optional in protocol v1): a hello's nonce and a challenge's
 * coordinator proof are bounded, and messages without them are still valid (older peers).
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { isCoordinatorMessage, isWorkerMessage, JOB_PROTOCOL_VERSION } from '../../../core/protocol/job-messages.js'

const worker = { name: 'w', threads: 1, platform: 'test', labels: [] }
/** As received: through the codec, as the wire does. */
const wire = (v: unknown): unknown => decodeValue(encodeValue(v))

it('hello: the nonce is optional and must be 16 to 64 bytes', () => {
  const hello = { t: 'hello', v: JOB_PROTOCOL_VERSION, worker, features: [] }
  assert.equal(isWorkerMessage(wire(hello)), true, 'no nonce: a worker without a secret, or an older one')
  for (const n of [16, 32, 64]) assert.equal(isWorkerMessage(wire({ ...hello, nonce: new Uint8Array(n) })), true, `${n} bytes`)
  for (const n of [0, 15, 65, 1024]) assert.equal(isWorkerMessage(wire({ ...hello, nonce: new Uint8Array(n) })), false, `${n} bytes`)
  for (const bad of ['a string', 32, [1, 2, 3], null]) assert.equal(isWorkerMessage(wire({ ...hello, nonce: bad })), false, JSON.stringify(bad))
})

it('challenge: the coordinator proof is optional and at most 64 bytes', () => {
  const challenge = { t: 'challenge', nonce: new Uint8Array(32) }
  assert.equal(isCoordinatorMessage(wire(challenge)), true, 'no proof: an older coordinator (the worker with a secret refuses it)')
  assert.equal(isCoordinatorMessage(wire({ ...challenge, proof: new Uint8Array(32) })), true)
  assert.equal(isCoordinatorMessage(wire({ ...challenge, proof: new Uint8Array(65) })), false)
  for (const bad of ['a string', 7, null]) assert.equal(isCoordinatorMessage(wire({ ...challenge, proof: bad })), false, JSON.stringify(bad))
  assert.equal(isCoordinatorMessage(wire({ t: 'challenge', nonce: new Uint8Array(8), proof: new Uint8Array(32) })), false, 'short nonce')
})
