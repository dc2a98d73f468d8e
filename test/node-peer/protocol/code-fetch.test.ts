import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { sha256Hex } from '../../../core/abi/host.js'
import { CODE_PROTOCOL, fetchCode, MAX_CODE_BYTES, serveCode } from '../../../core/protocol/code-fetch.js'
import { CodeHashMismatchError, CodeUnavailableError, FrameTooLargeError } from '../../../core/protocol/errors.js'
import { lengthPrefix } from '../../../core/protocol/frames.js'
import type { GridNode } from '../../../node-peer/net/node.js'
import { addrOf, startNode, stopAll } from '../net/nodes.js'

describe('code shipping (/edge-grid/code/1.0.0)', () => {
  let server: GridNode
  let liar: GridNode
  let client: GridNode
  const module = new TextEncoder().encode('\0asm pretend module bytes '.repeat(1000))
  let hash: string

  before(async () => {
    hash = await sha256Hex(module)
    ;[server, liar, client] = await Promise.all([startNode(), startNode(), startNode()])
    const modules = new Map([[hash, module]])
    await serveCode(server, h => modules.get(h))
    // answers every hash with other bytes
    await serveCode(liar, () => new TextEncoder().encode('something else entirely'))
    await Promise.all([client.dial(multiaddr(addrOf(server))), client.dial(multiaddr(addrOf(liar)))])
  })
  after(async () => { await stopAll(server, liar, client) })

  it('fetches a module by hash and verifies it', async () => {
    const bytes = await fetchCode(client, server.peerId, hash)
    assert.deepEqual(new Uint8Array(bytes), module)
  })

  it('serves concurrent requests', async () => {
    const all = await Promise.all(Array.from({ length: 6 }, async () => await fetchCode(client, server.peerId, hash)))
    for (const bytes of all) assert.equal(bytes.byteLength, module.byteLength)
  })

  it('reports a module the peer does not have as CodeUnavailableError', async () => {
    const unknown = await sha256Hex(new Uint8Array([1, 2, 3]))
    await assert.rejects(fetchCode(client, server.peerId, unknown), (err: unknown) => {
      assert.ok(err instanceof CodeUnavailableError)
      assert.equal(err.hash, unknown)
      return true
    })
  })

  it('rejects bytes that do not match the hash (a lying server) with CodeHashMismatchError', async () => {
    await assert.rejects(fetchCode(client, liar.peerId, hash), (err: unknown) => {
      assert.ok(err instanceof CodeHashMismatchError)
      assert.equal(err.expected, hash)
      assert.notEqual(err.actual, hash)
      return true
    })
  })

  it('rejects a response declaring more than MAX_CODE_BYTES before reading it', async () => {
    const rogue = await startNode()
    try {
      await rogue.handle(CODE_PROTOCOL, (stream) => {
        // a length prefix for 20 MiB, then nothing: the client must not wait for (or buffer) the body
        stream.send(lengthPrefix(20 * 1024 * 1024))
      })
      await client.dial(multiaddr(addrOf(rogue)))
      await assert.rejects(fetchCode(client, rogue.peerId, hash, { signal: AbortSignal.timeout(5000) }), (err: unknown) => {
        assert.ok(err instanceof FrameTooLargeError, String(err))
        assert.ok(err.declared > MAX_CODE_BYTES)
        return true
      })
    } finally {
      await rogue.stop()
    }
  })

  it('gives up when the server never answers (the caller\'s signal)', async () => {
    const silent = await startNode()
    try {
      await silent.handle(CODE_PROTOCOL, () => {})
      await client.dial(multiaddr(addrOf(silent)))
      // the fetch ends with the caller's TimeoutError (a fetch ignoring the signal would hang the test instead)
      await assert.rejects(fetchCode(client, silent.peerId, hash, { signal: AbortSignal.timeout(300) }), (err: unknown) => {
        assert.equal((err as Error).name, 'TimeoutError')
        return true
      })
    } finally {
      await silent.stop()
    }
  })

  it('refuses a malformed hash before dialling', async () => {
    await assert.rejects(fetchCode(client, server.peerId, 'not-a-hash'), TypeError)
  })
})
