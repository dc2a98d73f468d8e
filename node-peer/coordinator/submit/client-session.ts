/**
 * One client stream of the submit protocol on the coordinator: the hello and the submit-secret proof (or the
 * allow-list), then one request: `submit` (a new run), `attach` (to a run of this client), `list`. After a
 * submit or attach the stream carries that run's source items and sink acknowledgements (ClientEndpoint).
 * What a session may do is decided by the SubmitServer (submit-server.ts); this class only speaks.
 */
import { FrameChannel } from '../../../core/protocol/frame-channel.js'
import { newJoinNonce, submitCoordinatorProof, verifySubmitProof } from '../../../core/protocol/join-proof.js'
import { isClientMessage, MAX_SUBMIT_FRAME_BYTES, SUBMIT_PROTOCOL_VERSION } from '../../../core/protocol/submit-messages.js'
import type { ClientMessage, GridMessage, SubmitRefusalKind } from '../../../core/protocol/submit-messages.js'
import type { Stream } from '@libp2p/interface'
import type { ClientEndpoint } from './client-endpoint.js'

/** A challenged client has this long to prove the submit secret. */
export const SUBMIT_PROOF_TIMEOUT_MS = 10_000
/** Close reasons that mean the client sent what the protocol forbids. */
const VIOLATIONS = new Set(['FrameTooLargeError', 'MalformedFrameError', 'ProtocolViolationError'])

export interface SessionTrust {
  /** The submit secret clients must prove (absent: none). */
  readonly secret?: string
  /** Client peer ids admitted without a proof. */
  readonly allowed: ReadonlySet<string>
  readonly coordinatorPeer: string
}

/** What the server does with a proven client's requests. */
export interface SessionHandler {
  submit: (session: ClientSession, message: Extract<ClientMessage, { t: 'submit' }>) => Promise<void>
  attach: (session: ClientSession, run: string) => void
  list: (session: ClientSession) => void
  cancel: (session: ClientSession) => void
  /** The stream closed (`endpoint`: the run it was attached to). */
  closed: (session: ClientSession) => void
  /** The client broke the protocol or a rule: one strike. */
  misbehaved: (peer: string, what: string) => void
}

type State = 'hello' | 'proving' | 'ready' | 'busy' | 'bound'

export class ClientSession {
  readonly channel: FrameChannel<ClientMessage, GridMessage>
  private state: State = 'hello'
  private nonce: Uint8Array | undefined
  private proofTimer: ReturnType<typeof setTimeout> | undefined
  /** The run this stream carries, once submitted or attached. */
  endpoint: ClientEndpoint | undefined
  runId: string | undefined

  constructor (stream: Stream, readonly peer: string, private readonly trust: SessionTrust, private readonly handler: SessionHandler) {
    this.channel = new FrameChannel<ClientMessage, GridMessage>(stream, { guard: isClientMessage, maxFrameBytes: MAX_SUBMIT_FRAME_BYTES })
    this.channel.onMessage(message => { this.onMessage(message) })
    this.channel.onClose(reason => {
      clearTimeout(this.proofTimer)
      if (reason != null && VIOLATIONS.has(reason.name)) handler.misbehaved(peer, `broke the submit protocol (${reason.message})`)
      handler.closed(this)
    })
  }

  send (message: GridMessage): void {
    try {
      this.channel.send(message)
    } catch { /* closed: the close handler cleans up */ }
  }

  /** Refuses, closes the stream; a breach counts against the peer. */
  refuse (kind: SubmitRefusalKind, reason: string, breach = false): void {
    this.send({ t: 'refused', kind, reason })
    if (breach) this.handler.misbehaved(this.peer, reason)
    void this.channel.close()
  }

  /** From now on the stream carries this run. */
  bind (runId: string, endpoint: ClientEndpoint): void {
    this.runId = runId
    this.endpoint = endpoint
    this.state = 'bound'
  }

  /** The request was answered without binding a run (list, a refused submit): ready for another. */
  ready (): void {
    if (this.state === 'busy') this.state = 'ready'
  }

  private onMessage (message: ClientMessage): void {
    switch (this.state) {
      case 'hello':
        if (message.t !== 'hello') return this.violation(`\`${message.t}\` before \`hello\``)
        if (message.v !== SUBMIT_PROTOCOL_VERSION) return this.refuse('version', `submit protocol version ${message.v} is not supported (this coordinator speaks ${SUBMIT_PROTOCOL_VERSION})`)
        return this.admit(message.nonce)
      case 'proving':
        if (message.t !== 'proof') return this.violation(`\`${message.t}\` instead of the proof`)
        void this.check(message.proof)
        return
      case 'ready':
        this.state = 'busy'
        switch (message.t) {
          case 'submit': void this.handler.submit(this, message); return
          case 'attach': this.handler.attach(this, message.run); return
          case 'list': this.handler.list(this); return
          default: return this.violation(`\`${message.t}\` with no run attached`)
        }
      case 'busy':
        return this.violation(`\`${message.t}\` while a request is answered`)
      case 'bound':
        if (message.t === 'cancel') return this.handler.cancel(this)
        if (this.endpoint?.receive(message) !== true) this.violation(`an unexpected \`${message.t}\` for run ${this.runId ?? ''}`)
    }
  }

  private violation (what: string): void {
    this.handler.misbehaved(this.peer, `broke the submit protocol: ${what}`)
    this.channel.stream.abort(new Error(`submit protocol: ${what}`))
  }

  private admit (clientNonce: Uint8Array | undefined): void {
    const { secret, allowed } = this.trust
    if (allowed.has(this.peer) || (secret == null && allowed.size === 0)) {
      this.welcome()
      return
    }
    if (secret == null) return this.refuse('not-allowed', `this coordinator accepts flows only from the peers in its allow-list, and ${this.peer} is not one`)
    if (clientNonce == null) return this.refuse('no-secret', 'this coordinator requires the submit secret (--submit-secret or EDGE_GRID_SUBMIT_SECRET)')
    this.state = 'proving'
    this.nonce = newJoinNonce()
    this.proofTimer = setTimeout(() => { this.refuse('proof-timeout', `no submit proof within ${SUBMIT_PROOF_TIMEOUT_MS} ms`, true) }, SUBMIT_PROOF_TIMEOUT_MS)
    const nonce = this.nonce
    submitCoordinatorProof(secret, clientNonce, this.trust.coordinatorPeer, this.peer).then(
      proof => { this.send({ t: 'challenge', nonce, proof }) },
      (err: Error) => { this.refuse('wrong-proof', `could not compute this coordinator's proof (${err.message})`) }
    )
  }

  private async check (proof: Uint8Array): Promise<void> {
    clearTimeout(this.proofTimer)
    const { secret, coordinatorPeer } = this.trust
    let ok = false
    try {
      ok = proof.length > 0 && await verifySubmitProof(secret!, this.nonce!, this.peer, coordinatorPeer, proof)
    } catch { /* a malformed proof is a wrong one */ }
    if (ok) this.welcome()
    else this.refuse('wrong-proof', 'wrong submit proof: the submit secret differs (--submit-secret / EDGE_GRID_SUBMIT_SECRET)', true)
  }

  private welcome (): void {
    this.state = 'ready'
    this.send({ t: 'welcome', v: SUBMIT_PROTOCOL_VERSION })
  }
}
