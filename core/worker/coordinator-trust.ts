/**
 * A worker with a join secret trusts a coordinator only once it proved it knows the same secret
 * (core/protocol/join-proof.ts): the states of that check, its time limit, and the error a session ends with
 * when the proof never comes (the worker then leaves without answering and takes no job).
 */
import { GridError } from '../errors.js'

/** A worker with a secret has this long after its hello to get a challenge with a valid coordinator proof. */
export const COORDINATOR_PROOF_TIMEOUT_MS = 10_000

/** The session ended because the coordinator did not prove it knows the join secret. */
export class UntrustedCoordinatorError extends GridError {
  static override name = 'UntrustedCoordinatorError'
  constructor (readonly coordinator: string, readonly detail: string) {
    super(`coordinator ${coordinator} does not know the join secret (${detail}): left it without answering, no job taken`)
  }
}

/**
 * Where a session stands with the coordinator: `open` without a secret (nothing to prove); with one,
 * `awaiting` its challenge, `checking` the proof in it, then `proven`.
 */
export type Trust = 'open' | 'awaiting' | 'checking' | 'proven'
