/** Recall on the job stream: the coordinator's `recall` and the worker's `dropped`, and their guards. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue } from '../../../core/codec.js'
import { FEATURE_RECALL, isCoordinatorMessage, isWorkerMessage, MAX_JOB_FRAME_BYTES, MAX_RECALL_IDS } from '../../../core/protocol/job-messages.js'

describe('recall on the wire', () => {
  it('recall and dropped with ids pass their guards, also after a msgpack round trip', () => {
    const ids = [1, 257, 513, Number.MAX_SAFE_INTEGER]
    for (const message of [{ t: 'recall', ids }, { t: 'recall', ids: [0] }]) {
      assert.equal(isCoordinatorMessage(message), true, JSON.stringify(message))
      assert.equal(isCoordinatorMessage(decodeValue(encodeValue(message))), true)
    }
    for (const message of [{ t: 'dropped', ids }, { t: 'dropped', ids: [5] }]) {
      assert.equal(isWorkerMessage(message), true, JSON.stringify(message))
      assert.equal(isWorkerMessage(decodeValue(encodeValue(message))), true)
    }
    assert.equal(FEATURE_RECALL, 'recall')
  })

  it('each goes one way only: a worker cannot recall, a coordinator cannot drop', () => {
    assert.equal(isWorkerMessage({ t: 'recall', ids: [1] }), false)
    assert.equal(isCoordinatorMessage({ t: 'dropped', ids: [1] }), false)
  })

  it('refuses empty, missing, oversized and malformed id lists', () => {
    const bad: unknown[] = [
      undefined, null, [], 'x', 7, {}, [1.5], [-1], [Number.MAX_SAFE_INTEGER + 2], ['1'], [null], [[1]], [Number.NaN], [Infinity],
      Array.from({ length: MAX_RECALL_IDS + 1 }, (_, i) => i)
    ]
    for (const ids of bad) {
      const shown = Array.isArray(ids) && ids.length > 5 ? `${ids.length} ids` : JSON.stringify(ids)
      assert.equal(isCoordinatorMessage({ t: 'recall', ids }), false, `recall ${shown}`)
      assert.equal(isWorkerMessage({ t: 'dropped', ids }), false, `dropped ${shown}`)
    }
  })

  it('the largest recall accepted fits far inside a job frame', () => {
    const ids = Array.from({ length: MAX_RECALL_IDS }, (_, i) => Number.MAX_SAFE_INTEGER - i)
    assert.equal(isCoordinatorMessage({ t: 'recall', ids }), true)
    const bytes = encodeValue({ t: 'recall', ids }).length
    assert.ok(bytes < MAX_JOB_FRAME_BYTES / 100, `${bytes} bytes`)
  })
})
