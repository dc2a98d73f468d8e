/** The grid's libp2p logger: free when DEBUG enables nothing, libp2p's own where a namespace is enabled. */
import { afterEach, it } from 'node:test'
import assert from 'node:assert/strict'
import { disable, enable } from '@libp2p/logger'
import { gridLogger } from '../../../node-peer/net/logger.js'

afterEach(() => { disable() })

it('hands out silent loggers when DEBUG enables nothing', () => {
  disable()
  const log = gridLogger().forComponent('libp2p:yamux')
  assert.equal(log.enabled, false)
  assert.equal(log.newScope('stream').enabled, false)
  assert.doesNotThrow(() => { log('a %s', 'b'); log.error('c'); log.trace('d') })
})

it('hands out libp2p\'s logger for an enabled namespace, its errors, and enabled scopes of a silent one', () => {
  enable('libp2p:noise,libp2p:tcp:error,libp2p:yamux:stream*')
  const logger = gridLogger()
  assert.equal(logger.forComponent('libp2p:noise').enabled, true)
  assert.equal(logger.forComponent('libp2p:identify').enabled, false)
  const tcp = logger.forComponent('libp2p:tcp')
  assert.equal(tcp.enabled, false, 'only its errors are enabled')
  assert.notEqual(tcp.error, tcp, 'a real logger for the errors')
  const yamux = logger.forComponent('libp2p:yamux')
  assert.equal(yamux.enabled, false)
  assert.equal(yamux.newScope('stream').enabled, true)
})
