/**
 * The optional join secret, proven both ways without ever sending it (WebCrypto only, so Node and browsers
 * share it):
 * - a worker with a secret sends a random nonce in its `hello`; the coordinator's `challenge` carries
 *   HMAC-SHA256(secret, coordinator label ‖ worker nonce ‖ coordinator peer id ‖ worker peer id), which the
 *   worker checks BEFORE it answers (a decoy coordinator gets neither the worker's proof nor its work);
 * - the coordinator's challenge carries its own random nonce; the worker answers with
 *   HMAC-SHA256(secret, worker label ‖ nonce ‖ worker peer id ‖ coordinator peer id).
 * Each nonce makes a proof good for one session only; the two peer ids (from the Noise-authenticated
 * connection, not from any message) make it useless against another peer; the two labels make a proof of
 * one direction never valid in the other (a coordinator cannot reflect a worker's proof back, nor the reverse).
 * Every function takes the prover's peer id before the verifier's, in the order they are MACed.
 */
import { lengthPrefixed } from './length-prefixed.js'

/** Bytes of a nonce (either direction): unguessable, so a proof cannot be computed ahead of time. */
export const JOIN_NONCE_BYTES = 32
/** HMAC-SHA256 output. */
export const JOIN_PROOF_BYTES = 32
/** Domain separation: a proof for this protocol is never a valid MAC of anything else made with the secret. */
const WORKER_LABEL = 'edge-grid/join/1'
/** ... and a coordinator's proof is never a valid worker proof, nor the reverse. */
const COORDINATOR_LABEL = 'edge-grid/coordinator/1'

const encoder = new TextEncoder()

export function newJoinNonce (): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(JOIN_NONCE_BYTES))
}

/** What a proof binds together (length-prefixed, so no two inputs share an encoding). */
function macInput (label: string, nonce: Uint8Array, prover: string, verifier: string): Uint8Array<ArrayBuffer> {
  return lengthPrefixed([label, nonce, prover, verifier])
}

async function hmacKey (secret: string): Promise<CryptoKey> {
  return await globalThis.crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
}

async function sign (secret: string, input: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', await hmacKey(secret), input))
}

/** Constant-time check (WebCrypto's verify). */
async function verify (secret: string, input: Uint8Array<ArrayBuffer>, proof: Uint8Array): Promise<boolean> {
  if (proof.length !== JOIN_PROOF_BYTES) return false
  return await globalThis.crypto.subtle.verify('HMAC', await hmacKey(secret), Uint8Array.from(proof), input)
}

/** The worker's answer to a coordinator's `challenge` nonce. */
export async function joinProof (secret: string, nonce: Uint8Array, workerPeer: string, coordinatorPeer: string): Promise<Uint8Array> {
  return await sign(secret, macInput(WORKER_LABEL, nonce, workerPeer, coordinatorPeer))
}

/** Checks a worker's proof for this nonce and these two peers. */
export async function verifyJoinProof (secret: string, nonce: Uint8Array, workerPeer: string, coordinatorPeer: string, proof: Uint8Array): Promise<boolean> {
  return await verify(secret, macInput(WORKER_LABEL, nonce, workerPeer, coordinatorPeer), proof)
}

/** The coordinator's proof, sent in its `challenge`, over the nonce from the worker's `hello`. */
export async function coordinatorProof (secret: string, workerNonce: Uint8Array, coordinatorPeer: string, workerPeer: string): Promise<Uint8Array> {
  return await sign(secret, macInput(COORDINATOR_LABEL, workerNonce, coordinatorPeer, workerPeer))
}

/** Checks a coordinator's proof for the nonce this worker sent and these two peers. */
export async function verifyCoordinatorProof (secret: string, workerNonce: Uint8Array, coordinatorPeer: string, workerPeer: string, proof: Uint8Array): Promise<boolean> {
  return await verify(secret, macInput(COORDINATOR_LABEL, workerNonce, coordinatorPeer, workerPeer), proof)
}

/**
 * The submit secret (core/protocol/submit-messages.ts) is proven the same way with its own labels, so a
 * volunteer's join proof never passes as a client's submit proof, nor the reverse.
 */
const CLIENT_LABEL = 'edge-grid/submit/1'
const SUBMIT_COORDINATOR_LABEL = 'edge-grid/submit-coordinator/1'

/** A client's answer to a coordinator's submit challenge. */
export async function submitProof (secret: string, nonce: Uint8Array, clientPeer: string, coordinatorPeer: string): Promise<Uint8Array> {
  return await sign(secret, macInput(CLIENT_LABEL, nonce, clientPeer, coordinatorPeer))
}

export async function verifySubmitProof (secret: string, nonce: Uint8Array, clientPeer: string, coordinatorPeer: string, proof: Uint8Array): Promise<boolean> {
  return await verify(secret, macInput(CLIENT_LABEL, nonce, clientPeer, coordinatorPeer), proof)
}

/** The coordinator's proof to a client, over the nonce from the client's hello. */
export async function submitCoordinatorProof (secret: string, clientNonce: Uint8Array, coordinatorPeer: string, clientPeer: string): Promise<Uint8Array> {
  return await sign(secret, macInput(SUBMIT_COORDINATOR_LABEL, clientNonce, coordinatorPeer, clientPeer))
}

export async function verifySubmitCoordinatorProof (secret: string, clientNonce: Uint8Array, coordinatorPeer: string, clientPeer: string, proof: Uint8Array): Promise<boolean> {
  return await verify(secret, macInput(SUBMIT_COORDINATOR_LABEL, clientNonce, coordinatorPeer, clientPeer), proof)
}
