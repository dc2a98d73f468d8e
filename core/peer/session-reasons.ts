/**
 * Why a coordinator refuses a worker, and why a worker's session ended: closed unions, so every reason is
 * named in one place, callers branch on `kind` (never on text), and the text a worker and the log see is
 * written once. The wire keeps the text (`refused.reason`): job protocol v1 peers read it as it is.
 */
import { JOB_PROTOCOL_VERSION } from '../protocol/job-messages.js'

export type Refusal =
  /** More messages per second on the job stream than any honest worker sends (a breach). */
  | { readonly kind: 'flood', readonly limit: number }
  /** The hello speaks a protocol version this coordinator does not. */
  | { readonly kind: 'version', readonly version: number }
  /** Challenged, the worker sent no proof in time (a breach). */
  | { readonly kind: 'proof-timeout', readonly ms: number }
  /** The worker has no join secret (an empty proof; a breach). */
  | { readonly kind: 'no-secret' }
  /** The proof does not verify: another secret, session or peer (a breach). */
  | { readonly kind: 'wrong-proof' }
  /** This coordinator could not compute its own proof (WebCrypto failed). */
  | { readonly kind: 'coordinator-proof-failed', readonly cause: string }
  /** A result for a job the worker does not hold (a breach: it would complete another worker's lease). */
  | { readonly kind: 'not-held', readonly job: number }
  /** It says it dropped a job that was not recalled from it (a breach: that job's lease would never end). */
  | { readonly kind: 'not-recalled', readonly job: number }
  /** Its outputs disagreed with the quorum too often (core/run/verification.ts): refused for this run. */
  | { readonly kind: 'verification' }
  /** It went away while challenged: not a breach (a worker with another secret leaves without answering). */
  | { readonly kind: 'left-unproven' }

export type SessionEnd =
  | { readonly kind: 'left' }
  | { readonly kind: 'disconnected', readonly cause?: string }
  | { readonly kind: 'send-failed', readonly cause: string }
  | { readonly kind: 'refused', readonly refusal: Refusal }

/** Refusals that count as a strike against the peer (core/peer/peer-limits.ts). */
export function isBreach (refusal: Refusal): boolean {
  switch (refusal.kind) {
    case 'flood': case 'proof-timeout': case 'no-secret': case 'wrong-proof': case 'not-held': case 'not-recalled': return true
    case 'version': case 'coordinator-proof-failed': case 'verification': case 'left-unproven': return false
  }
}

export function describeRefusal (refusal: Refusal): string {
  switch (refusal.kind) {
    case 'flood': return `more than ${refusal.limit} messages in a second`
    case 'version': return `job protocol version ${refusal.version} is not supported (this coordinator speaks ${JOB_PROTOCOL_VERSION})`
    case 'proof-timeout': return `no join proof within ${refusal.ms} ms`
    case 'no-secret': return 'this coordinator requires a join secret and the worker has none (--secret / EDGE_GRID_SECRET)'
    case 'wrong-proof': return 'wrong join proof (wrong secret, or a proof made for another session or peer)'
    case 'coordinator-proof-failed': return `could not compute this coordinator's join proof (${refusal.cause})`
    case 'not-held': return `a result for job ${refusal.job}, which this worker does not hold`
    case 'not-recalled': return `dropped job ${refusal.job}, which was not recalled from this worker`
    case 'verification': return 'its results disagreed with other workers too often (result verification): refused for this run'
    case 'left-unproven': return 'left before proving the join secret (a worker with another secret does not accept this coordinator\'s proof and leaves without answering)'
  }
}

export function describeSessionEnd (end: SessionEnd): string {
  switch (end.kind) {
    case 'left': return 'left'
    case 'disconnected': return end.cause != null ? `disconnected (${end.cause})` : 'disconnected'
    case 'send-failed': return `send failed (${end.cause})`
    case 'refused': return `refused (${describeRefusal(end.refusal)})`
  }
}
