/**
 * Trust on the submit protocol: the submit secret proven both ways (a wrong or missing one refused with the
 * reason, a volunteer's join secret is no submit secret), the allow-list, and hostile frames from many
 * identities (fuzz) that crash nothing while a real run beside completes exactly.
 */
import '../../../node-peer/net/polyfill.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { encodeValue } from '../../../core/codec.js'
import { encodeFrame } from '../../../core/protocol/frames.js'
import { isClientMessage, SUBMIT_PROTOCOL } from '../../../core/protocol/submit-messages.js'
import { loadOrCreateIdentity } from '../../../node-peer/net/identity.js'
import { copyExample } from '../../helpers/example-copy.js'
import { checkExample } from '../../helpers/example-checks.js'
import { fuzzFrame, fuzzSeed, Rng } from '../../helpers/fuzz.js'
import { clientHome, runClient, startClient, startServe, stopAll } from '../../helpers/standing-grid.js'
import type { Serve } from '../../helpers/standing-grid.js'
import type { Proc } from '../../helpers/processes.js'

const SECRET = 'submit-s3cret'

describe('submit trust', { timeout: 240_000 }, () => {
  it('refuses a missing or wrong submit secret and a join secret, with the reason; the right one runs the flow', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-trust-'))
    let serve: Serve | undefined
    try {
      serve = await startServe(['--workers', '1', '--submit-secret', SECRET, '--secret', 'join-secret'], dir)
      const run = await copyExample('fibonacci-wat')
      const home = await clientHome()
      const missing = await runClient(['flow.json', '--grid', serve.addr], run, home)
      assert.equal(missing.code, 2)
      assert.match(missing.stderr, /requires the submit secret \(--submit-secret or EDGE_GRID_SUBMIT_SECRET\)/)
      const wrong = await runClient(['flow.json', '--grid', serve.addr, '--submit-secret', 'guess'], run, home)
      assert.equal(wrong.code, 2)
      assert.match(wrong.stderr, /could not prove the submit secret: it has another one/)
      // a volunteer's join secret does not let anyone submit
      const join_ = await runClient(['flow.json', '--grid', serve.addr, '--submit-secret', 'join-secret'], run, home)
      assert.equal(join_.code, 2)
      const right = await runClient(['flow.json', '--grid', serve.addr, '--report', 'report.json'], run, home, 60_000, { EDGE_GRID_SUBMIT_SECRET: SECRET })
      assert.equal(right.code, 0, right.stderr.slice(-2000))
      await checkExample('fibonacci-wat', run, right.stdout, JSON.parse(await readFile(join(run, 'report.json'), 'utf8')))
    } finally {
      await stopAll([serve?.proc])
    }
  })

  it('admits the peers of an --allow list without a secret and refuses others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-trust-'))
    let serve: Serve | undefined
    try {
      const home = await clientHome()
      const key = await loadOrCreateIdentity(join(home, '.edge-grid', 'client.key'))
      const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
      await writeFile(join(dir, 'allow.txt'), `# our CI\n${peerIdFromPrivateKey(key).toString()}\n`)
      serve = await startServe(['--workers', '1', '--allow', join(dir, 'allow.txt')], dir)
      const run = await copyExample('fibonacci-wat')
      const allowed = await runClient(['flow.json', '--grid', serve.addr], run, home)
      assert.equal(allowed.code, 0, allowed.stderr.slice(-2000))
      const other = await runClient(['flow.json', '--grid', serve.addr], run, await clientHome())
      assert.equal(other.code, 2)
      assert.match(other.stderr, /only from the peers in its allow-list/)
    } finally {
      await stopAll([serve?.proc])
    }
  })

  it('hostile submit frames from many identities crash nothing, and a run beside completes exactly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-trust-'))
    let serve: Serve | undefined
    let client: Proc | undefined
    const seed = fuzzSeed()
    console.log(`submit fuzz seed ${seed}`)
    const rng = new Rng(seed)
    try {
      serve = await startServe(['--workers', '1'], dir)
      const collatz = await copyExample('collatz')
      client = startClient(['flow.json', '--grid', serve.addr, '--report', 'report.json'], collatz, await clientHome())
      const seeds = [
        { t: 'hello', v: 1 }, { t: 'hello', v: 1, nonce: new Uint8Array(32) }, { t: 'proof', proof: new Uint8Array(32) },
        { t: 'submit', file: '/x/flow.json', text: '{"name":"x"}', files: [['/x/m.wasm', 'module', 'a'.repeat(64)]], priority: 1, detach: false },
        { t: 'attach', run: 'r' }, { t: 'list' }, { t: 'cancel' },
        { t: 'items', cursor: 1, items: [encodeValue(1)], end: false, done: 1 },
        { t: 'ack', seq: 1, position: 10 }, { t: 'sink-failed', seq: 1, error: { name: 'E', message: 'm' } }
      ]
      let frames = 0
      let streams = 0
      // a new identity every two streams: a peer that breaks the protocol three times is banned for a while.
      // The first frame the guard rejects ends a stream, so most streams carry only a few frames.
      for (let identity = 0; identity < 80; identity++) {
        const node = await createLibp2p({ privateKey: await generateKeyPair('Ed25519'), transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
        try {
          for (let s = 0; s < 2; s++) {
            const stream = await node.dialProtocol(multiaddr(serve.addr), SUBMIT_PROTOCOL, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined)
            if (stream == null) continue
            streams++
            // half the streams say a valid hello first, so the frames after it reach every state
            if (rng.chance(0.5)) stream.send(encodeFrame(encodeValue({ t: 'hello', v: 1 })))
            for (let i = 0; i < 25; i++) {
              try {
                stream.send(fuzzFrame(rng, seeds, isClientMessage).wire)
                frames++
              } catch { break }
            }
            await new Promise(resolve => setTimeout(resolve, 20))
            stream.abort(new Error('done'))
          }
        } finally {
          await node.stop()
        }
        // the coordinator admits a few new connections a second from one address (--join-rate): keep under it
        await new Promise(resolve => setTimeout(resolve, 250))
      }
      // a dial may still be turned away now and then (the admission budget is per second)
      assert.ok(streams >= 100 && frames >= 500, `${frames} hostile frames on ${streams} streams`)
      const { code } = await client.exited
      assert.equal(code, 0, client.output.slice(-3000))
      await checkExample('collatz', collatz, client.output, JSON.parse(await readFile(join(collatz, 'report.json'), 'utf8')))
      assert.equal(serve.proc.pid != null && (await Promise.race([serve.proc.exited.then(() => 'exited'), new Promise(resolve => setTimeout(() => resolve('alive'), 100))])), 'alive', 'the coordinator is still up')
      // and it still takes a new client
      const after = await runClient(['flow.json', '--grid', serve.addr], await copyExample('fibonacci-wat'), await clientHome())
      assert.equal(after.code, 0, after.stderr.slice(-2000))
    } finally {
      await stopAll([client, serve?.proc])
    }
  })
})
