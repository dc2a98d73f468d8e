/**
 * The guard on a results message's optional batch time: older workers send none; a time must be a finite
 * number of milliseconds from 0 to a day (it feeds the coordinator's job duration histogram).
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { isWorkerMessage } from '../../../core/protocol/job-messages.js'

const wire = (v: unknown): unknown => decodeValue(encodeValue(v))
const results = { t: 'results', results: [[1, 1, [[0, new Uint8Array([1])]]], [2, 0, 'TrapError', 'unreachable']] }

it('results: busyMs is optional, a finite number of ms from 0 to a day', () => {
  assert.equal(isWorkerMessage(wire(results)), true, 'no time: an older worker')
  for (const ms of [0, 0.25, 12, 86_400_000]) assert.equal(isWorkerMessage(wire({ ...results, busyMs: ms })), true, String(ms))
  for (const bad of [-1, 86_400_001, Number.NaN, Number.POSITIVE_INFINITY, '5', null, [5]]) {
    assert.equal(isWorkerMessage(wire({ ...results, busyMs: bad })), false, String(bad))
  }
})
