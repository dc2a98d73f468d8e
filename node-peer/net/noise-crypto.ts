/**
 * Noise's X25519 on Node without re-importing keys. The default implementation (@chainsafe/libp2p-noise's
 * node crypto) rebuilds both OpenSSL key objects from DER bytes for each of a handshake's three key
 * agreements: measured here, a PKCS#8 private key import takes ≈430 µs and an SPKI public one ≈120 µs, the
 * agreement itself ≈40 µs: most of a handshake's key work, on the coordinator for every worker that joins.
 * Here the key pairs Noise generates keep their private key object (looked up by the very byte array Noise
 * hands back), and peers' public keys are imported as JWK (≈10 µs). Keys from elsewhere (a seed) take the
 * default path. Hashing and ChaCha20-Poly1305 stay the default's.
 */
import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Private key objects of the key pairs generated here, by the private key bytes handed to Noise. */
const privateKeys = new WeakMap<Uint8Array, KeyObject>()

export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,

  generateX25519KeyPair () {
    const { privateKey } = generateKeyPairSync('x25519')
    const jwk = privateKey.export({ format: 'jwk' })
    const bytes = fromBase64Url(jwk.d!)
    privateKeys.set(bytes, privateKey)
    return { privateKey: bytes, publicKey: fromBase64Url(jwk.x!) }
  },

  generateX25519SharedKey (privateKey, publicKey) {
    const own = privateKey instanceof Uint8Array ? privateKeys.get(privateKey) : undefined
    if (own == null) return defaultCrypto.generateX25519SharedKey(privateKey, publicKey)
    const x = Buffer.from(contiguous(publicKey)).toString('base64url')
    return diffieHellman({ privateKey: own, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' }) })
  }
}

function contiguous (bytes: Uint8Array | Uint8ArrayList): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : bytes.subarray()
}

function fromBase64Url (text: string): Uint8Array {
  const buffer = Buffer.from(text, 'base64url')
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}
