/**
 * A client of a standing coordinator (`grid-coordinator serve`): a libp2p peer with its own identity (only
 * it may attach to, list or cancel its runs), which proves the submit secret, submits flows, serves their
 * modules by sha256 and their files (client-run.ts), and re-attaches by itself when the connection or the
 * coordinator goes away and comes back.
 */
import '../net/polyfill.js'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { errorFromData, GridError } from '../../core/errors.js'
import { serveCode } from '../../core/protocol/code-fetch.js'
import { FrameChannel } from '../../core/protocol/frame-channel.js'
import { newJoinNonce, submitProof, verifySubmitCoordinatorProof } from '../../core/protocol/join-proof.js'
import { isGridMessage, MAX_SUBMIT_FRAME_BYTES, SUBMIT_PROTOCOL, SUBMIT_PROTOCOL_VERSION } from '../../core/protocol/submit-messages.js'
import type { ClientMessage, GridMessage, RunListing } from '../../core/protocol/submit-messages.js'
import { loadOrCreateIdentity } from '../net/identity.js'
import { createGridNode } from '../net/node.js'
import type { GridNode } from '../net/node.js'

/** The coordinator refused this client or its request; `kind` says why (core/protocol/submit-messages.ts). */
export class SubmitRefusedError extends GridError {
  static override name = 'SubmitRefusedError'
  constructor (readonly kind: string, reason: string) {
    super(reason)
  }
}

/** The coordinator could not be reached, or went away and did not come back in time. */
export class GridUnreachableError extends GridError {
  static override name = 'GridUnreachableError'
}

export interface GridClientInit {
  /** The coordinator's multiaddr, ending in /p2p/<peer id>. */
  readonly grid: string
  /** The key file that keeps this client's peer id (its runs are bound to it). */
  readonly identity: string
  readonly submitSecret?: string
  /** How long to keep trying to reach the coordinator again after losing it (default 5 minutes). */
  readonly reconnectMs?: number
}

type Channel = FrameChannel<GridMessage, ClientMessage>

const DIAL_TIMEOUT_MS = 10_000
const RETRY_MS = 500

export class GridClient {
  private readonly modules = new Map<string, Uint8Array>()
  private constructor (readonly node: GridNode, readonly coordinator: PeerId, private readonly init: GridClientInit) {}

  static async connect (init: GridClientInit): Promise<GridClient> {
    let addr
    try {
      addr = multiaddr(init.grid)
    } catch (err) {
      throw new SubmitRefusedError('address', `--grid ${init.grid}: not a multiaddr (${(err as Error).message}); use the address grid-coordinator serve printed`)
    }
    const id = addr.getComponents().findLast(c => c.name === 'p2p')?.value
    if (id == null) throw new SubmitRefusedError('address', `--grid ${init.grid}: the address must end in /p2p/<the coordinator's peer id>, as grid-coordinator serve prints it`)
    const node = await createGridNode({ privateKey: await loadOrCreateIdentity(init.identity), listen: [] })
    const client = new GridClient(node, peerIdFromString(id), init)
    await serveCode(node, hash => client.modules.get(hash))
    return client
  }

  /** Module bytes this client hands the coordinator when it asks (by hash). */
  offerModules (modules: ReadonlyMap<string, Uint8Array>): void {
    for (const [hash, bytes] of modules) this.modules.set(hash, bytes)
  }

  get peerId (): string {
    return this.node.peerId.toString()
  }

  /**
   * Opens a submit stream and proves the secret; resolves with the channel and the first message after the
   * welcome handed to `onMessage`. Rejects with SubmitRefusedError or GridUnreachableError.
   */
  async open (onMessage: (message: GridMessage) => void): Promise<Channel> {
    let stream
    try {
      await this.node.dial(multiaddr(this.init.grid), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      stream = await this.node.dialProtocol(this.coordinator, SUBMIT_PROTOCOL, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
    } catch (err) {
      throw new GridUnreachableError(`cannot reach the coordinator at ${this.init.grid}: ${(err as Error).message}`)
    }
    const channel: Channel = new FrameChannel<GridMessage, ClientMessage>(stream, { guard: isGridMessage, maxFrameBytes: MAX_SUBMIT_FRAME_BYTES })
    const secret = this.init.submitSecret
    const nonce = secret != null ? newJoinNonce() : undefined
    await new Promise<void>((resolve, reject) => {
      let welcomed = false
      channel.onClose(reason => {
        if (!welcomed) reject(new GridUnreachableError(`the coordinator closed the submit stream${reason != null ? ` (${reason.message})` : ''}`))
      })
      channel.onMessage(message => {
        if (welcomed) return onMessage(message)
        if (message.t === 'welcome') {
          welcomed = true
          resolve()
        } else if (message.t === 'refused') {
          reject(new SubmitRefusedError(message.kind, message.reason))
        } else if (message.t === 'challenge' && secret != null && nonce != null) {
          void this.answer(channel, secret, nonce, message).catch(reject)
        } else {
          reject(new SubmitRefusedError('no-secret', message.t === 'challenge'
            ? 'this coordinator requires the submit secret (--submit-secret or EDGE_GRID_SUBMIT_SECRET)'
            : `unexpected \`${message.t}\` before the welcome`))
        }
      })
      channel.send(nonce != null ? { t: 'hello', v: SUBMIT_PROTOCOL_VERSION, nonce } : { t: 'hello', v: SUBMIT_PROTOCOL_VERSION })
    }).catch(async err => {
      await channel.close().catch(() => {})
      throw err
    })
    return channel
  }

  /** Checks the coordinator's proof over our nonce before proving the secret ourselves (a decoy gets nothing). */
  private async answer (channel: Channel, secret: string, nonce: Uint8Array, challenge: Extract<GridMessage, { t: 'challenge' }>): Promise<void> {
    const coordinator = this.coordinator.toString()
    const ok = challenge.proof != null && await verifySubmitCoordinatorProof(secret, nonce, coordinator, this.peerId, challenge.proof)
    if (!ok) throw new SubmitRefusedError('wrong-proof', `the coordinator ${coordinator} could not prove the submit secret: it has another one (check --submit-secret / EDGE_GRID_SUBMIT_SECRET)`)
    channel.send({ t: 'proof', proof: await submitProof(secret, challenge.nonce, this.peerId, coordinator) })
  }

  /** Opens a stream, with retries while the coordinator is unreachable, up to `windowMs` (default: the reconnect window). */
  async reopen (onMessage: (message: GridMessage) => void, signal?: AbortSignal, windowMs = this.init.reconnectMs ?? 5 * 60_000): Promise<Channel> {
    const deadline = Date.now() + windowMs
    for (;;) {
      try {
        return await this.open(onMessage)
      } catch (err) {
        if (!(err instanceof GridUnreachableError) || Date.now() > deadline || signal?.aborted === true) throw err
        await new Promise(resolve => setTimeout(resolve, RETRY_MS))
      }
    }
  }

  /** This client's runs on the coordinator. */
  async list (): Promise<RunListing[]> {
    let answer!: { resolve: (runs: RunListing[]) => void, reject: (err: Error) => void }
    const runs = new Promise<RunListing[]>((resolve, reject) => { answer = { resolve, reject } })
    const channel = await this.open(message => {
      if (message.t === 'runs') answer.resolve([...message.runs])
      else answer.reject(answerError(message) ?? new SubmitRefusedError('protocol', `unexpected \`${message.t}\``))
    })
    channel.onClose(() => { answer.reject(new GridUnreachableError('the coordinator closed the stream before listing the runs')) })
    channel.send({ t: 'list' })
    try {
      return await runs
    } finally {
      await channel.close().catch(() => {})
    }
  }

  async stop (): Promise<void> {
    await this.node.stop()
  }
}

/** A refusal or an `invalid` answer as the error to throw. */
export function answerError (message: GridMessage): Error | undefined {
  if (message.t === 'refused') return new SubmitRefusedError(message.kind, message.reason)
  if (message.t === 'invalid') return errorFromData(message.error)
  return undefined
}
