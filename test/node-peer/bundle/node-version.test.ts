import { it } from 'node:test'
import assert from 'node:assert/strict'
import { MIN_NODE_MAJOR, nodeTooOld } from '../../../node-peer/bundle/node-version.js'

it('Node 20 and newer run the worker; older ones get a message naming both versions', () => {
  assert.equal(MIN_NODE_MAJOR, 20)
  for (const ok of ['20.0.0', '20.20.2', '22.11.0', '24.1.0', '100.0.0']) assert.equal(nodeTooOld(ok), undefined, ok)
  for (const old of ['18.19.0', '16.20.2', '19.9.0']) {
    assert.equal(nodeTooOld(old), `grid-worker needs Node.js 20 or newer; this is Node.js ${old}. Install a current Node.js (https://nodejs.org) and run it again.`)
  }
  assert.match(nodeTooOld('') ?? '', /needs Node\.js 20 or newer/)
})

it('this Node runs it (the tests run on a supported one)', () => {
  assert.equal(nodeTooOld(process.versions.node), undefined)
})
