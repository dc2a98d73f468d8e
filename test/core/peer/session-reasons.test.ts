import { it } from 'node:test'
import assert from 'node:assert/strict'
import { describeRefusal, describeSessionEnd, isBreach } from '../../../core/peer/session-reasons.js'
import type { Refusal } from '../../../core/peer/session-reasons.js'

const every: Refusal[] = [
  { kind: 'flood', limit: 50_000 }, { kind: 'version', version: 9 }, { kind: 'proof-timeout', ms: 10_000 },
  { kind: 'no-secret' }, { kind: 'wrong-proof' }, { kind: 'coordinator-proof-failed', cause: 'no WebCrypto' },
  { kind: 'not-held', job: 42 }, { kind: 'verification' }, { kind: 'left-unproven' }
]

it('every refusal has its own text, naming its parameters', () => {
  const texts = every.map(describeRefusal)
  assert.equal(new Set(texts).size, every.length)
  assert.match(describeRefusal({ kind: 'flood', limit: 50_000 }), /50000 messages/)
  assert.match(describeRefusal({ kind: 'not-held', job: 42 }), /job 42/)
  assert.match(describeRefusal({ kind: 'version', version: 9 }), /version 9 is not supported/)
})

it('only rule-breaking refusals are strikes: a worker with another secret, an old version or a disagreeing worker is not', () => {
  assert.deepEqual(every.filter(isBreach).map(r => r.kind), ['flood', 'proof-timeout', 'no-secret', 'wrong-proof', 'not-held'])
})

it('a session end describes its refusal', () => {
  assert.equal(describeSessionEnd({ kind: 'refused', refusal: { kind: 'wrong-proof' } }), `refused (${describeRefusal({ kind: 'wrong-proof' })})`)
  assert.equal(describeSessionEnd({ kind: 'disconnected' }), 'disconnected')
  assert.equal(describeSessionEnd({ kind: 'disconnected', cause: 'reset' }), 'disconnected (reset)')
})
