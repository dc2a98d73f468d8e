import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { IdentityFileError, loadOrCreateIdentity } from '../../../node-peer/net/identity.js'

describe('loadOrCreateIdentity', () => {
  let dir: string
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('creates an Ed25519 key in a 0600 file (making folders) and loads the same peer id again', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-grid-identity-'))
    const path = join(dir, 'nested', 'deeper', 'peer.key')
    const first = await loadOrCreateIdentity(path)
    assert.equal(first.type, 'Ed25519')
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    const again = await loadOrCreateIdentity(path)
    assert.equal(peerIdFromPrivateKey(again).toString(), peerIdFromPrivateKey(first).toString())
  })

  it('gives every concurrent caller the same key', async () => {
    const path = join(dir, 'race.key')
    const keys = await Promise.all(Array.from({ length: 8 }, async () => await loadOrCreateIdentity(path)))
    const ids = new Set(keys.map(k => peerIdFromPrivateKey(k).toString()))
    assert.equal(ids.size, 1)
  })

  it('names the file and the way out when the file is corrupt', async () => {
    const path = join(dir, 'corrupt.key')
    await writeFile(path, 'not a key at all')
    await assert.rejects(loadOrCreateIdentity(path), (err: unknown) => {
      assert.ok(err instanceof IdentityFileError)
      assert.equal(err.name, 'IdentityFileError')
      assert.equal(err.path, path)
      assert.match(err.message, /corrupt\.key: is not a libp2p private key/)
      assert.match(err.message, /delete it/)
      return true
    })
  })
})
