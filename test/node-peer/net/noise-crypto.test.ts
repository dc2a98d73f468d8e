/** Noise's X25519 without key re-imports agrees with the default implementation, byte for byte. */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { noiseCrypto } from '../../../node-peer/net/noise-crypto.js'

/** Plain bytes, whichever Uint8Array subclass (Buffer) they came in. */
const bytes = (u: Uint8Array): Uint8Array => Uint8Array.from(u)

it('generates key pairs the default agrees with, and the same shared keys both ways', () => {
  for (let i = 0; i < 20; i++) {
    const a = noiseCrypto.generateX25519KeyPair()
    const b = noiseCrypto.generateX25519KeyPair()
    assert.equal(a.privateKey.length, 32)
    assert.equal(a.publicKey.length, 32)
    assert.deepEqual(bytes(defaultCrypto.generateX25519KeyPairFromSeed(a.privateKey).publicKey), bytes(a.publicKey), 'the public key is the private key\'s')
    const ours = noiseCrypto.generateX25519SharedKey(a.privateKey, b.publicKey)
    assert.deepEqual(bytes(ours), bytes(defaultCrypto.generateX25519SharedKey(a.privateKey, b.publicKey)))
    assert.deepEqual(bytes(noiseCrypto.generateX25519SharedKey(b.privateKey, new Uint8ArrayList(a.publicKey.subarray(0, 7), a.publicKey.subarray(7)))), bytes(ours))
  }
})

it('takes the default path for keys it did not generate (a seed)', () => {
  const seeded = defaultCrypto.generateX25519KeyPairFromSeed(new Uint8Array(32).fill(7))
  const peer = noiseCrypto.generateX25519KeyPair()
  assert.deepEqual(bytes(noiseCrypto.generateX25519SharedKey(seeded.privateKey, peer.publicKey)), bytes(noiseCrypto.generateX25519SharedKey(peer.privateKey, seeded.publicKey)))
})
