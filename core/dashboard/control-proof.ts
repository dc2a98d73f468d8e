/**
 * Proving the submit secret to the dashboard without sending it: the server hands out a one-time random
 * nonce, the viewer answers HMAC-SHA256(secret, label ‖ nonce ‖ action ‖ run id) (each part length-prefixed),
 * the server checks it and forgets the nonce. A proof is good for one action on one run, once: seeing it
 * (plain HTTP) gives nobody the secret, nor another cancel.
 *
 * HMAC from @noble/hashes, not WebCrypto as in join-proof.ts: browsers hide `crypto.subtle` outside secure
 * contexts, and a dashboard opened at http://<LAN address>/ is one.
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { isObject, isShortString } from '../protocol/guards.js'
import { lengthPrefixed } from '../protocol/length-prefixed.js'

/** Domain separation: no other MAC made with the secret is ever a valid control proof. */
const LABEL = 'edge-grid/dashboard-control/1'
export const CONTROL_NONCE_BYTES = 32
/** Largest control request body accepted. */
export const MAX_CONTROL_BODY_BYTES = 2048

/** `unlock` only checks the secret (the page then shows its buttons); `cancel` stops a run. */
export type ControlAction = 'unlock' | 'cancel'

export interface ControlRequest {
  readonly action: ControlAction
  /** Empty for `unlock`. */
  readonly runId: string
  /** Hex, as the server handed it out. */
  readonly nonce: string
  /** Hex HMAC-SHA256. */
  readonly proof: string
}

const HEX = /^[0-9a-f]*$/

export function isControlRequest (v: unknown): v is ControlRequest {
  return isObject(v) && (v.action === 'unlock' || v.action === 'cancel') && isShortString(v.runId, 128) &&
    isShortString(v.nonce, CONTROL_NONCE_BYTES * 2) && HEX.test(v.nonce) && isShortString(v.proof, 64) && HEX.test(v.proof)
}

const encoder = new TextEncoder()

function macInput (nonce: string, action: ControlAction, runId: string): Uint8Array {
  return lengthPrefixed([LABEL, nonce, action, runId])
}

export function toHex (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

export function newControlNonce (): string {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(CONTROL_NONCE_BYTES)))
}

/** The viewer's proof for `action` on `runId` with the server's `nonce`. */
export function controlProof (secret: string, nonce: string, action: ControlAction, runId: string): string {
  return toHex(hmac(sha256, encoder.encode(secret), macInput(nonce, action, runId)))
}

/** Checks a proof in time independent of where it differs. */
export function verifyControlProof (secret: string, request: ControlRequest): boolean {
  const expected = controlProof(secret, request.nonce, request.action, request.runId)
  if (request.proof.length !== expected.length) return false
  let diff = 0
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ request.proof.charCodeAt(i)
  return diff === 0
}
