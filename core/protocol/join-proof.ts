/**
 * The optional join secret: a coordinator started with a secret sends each new worker a random nonce in a
 * `challenge`; the worker answers with HMAC-SHA256(secret, label ‖ nonce ‖ worker peer id ‖ coordinator
 * peer id). The secret never travels; the nonce makes a proof good for one session only, and the two peer
 * ids (from the Noise-authenticated connection, not from any message) make it useless against another
 * coordinator or from another peer. WebCrypto only, so Node and browsers share it.
 */

/** Bytes of the challenge nonce: unguessable, so a proof cannot be computed ahead of time. */
export const JOIN_NONCE_BYTES = 32
/** HMAC-SHA256 output. */
export const JOIN_PROOF_BYTES = 32
/** Domain separation: a proof for this protocol is never a valid MAC of anything else made with the secret. */
const LABEL = 'edge-grid/join/1'

const encoder = new TextEncoder()

export function newJoinNonce (): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(JOIN_NONCE_BYTES))
}

/** What the proof binds together; each part is length-prefixed so no two inputs share an encoding. */
function proofInput (nonce: Uint8Array, workerPeer: string, coordinatorPeer: string): Uint8Array<ArrayBuffer> {
  const parts = [encoder.encode(LABEL), nonce, encoder.encode(workerPeer), encoder.encode(coordinatorPeer)]
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0))
  const view = new DataView(out.buffer)
  let at = 0
  for (const part of parts) {
    view.setUint32(at, part.length)
    out.set(part, at + 4)
    at += 4 + part.length
  }
  return out
}

async function hmacKey (secret: string): Promise<CryptoKey> {
  return await globalThis.crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
}

export async function joinProof (secret: string, nonce: Uint8Array, workerPeer: string, coordinatorPeer: string): Promise<Uint8Array> {
  const mac = await globalThis.crypto.subtle.sign('HMAC', await hmacKey(secret), proofInput(nonce, workerPeer, coordinatorPeer))
  return new Uint8Array(mac)
}

/** Constant-time check (WebCrypto's verify) of a proof for this nonce and these two peers. */
export async function verifyJoinProof (secret: string, nonce: Uint8Array, workerPeer: string, coordinatorPeer: string, proof: Uint8Array): Promise<boolean> {
  if (proof.length !== JOIN_PROOF_BYTES) return false
  return await globalThis.crypto.subtle.verify('HMAC', await hmacKey(secret), Uint8Array.from(proof), proofInput(nonce, workerPeer, coordinatorPeer))
}
