/**
 * The coordinator's admission of new connections: the connection gater asks HostAdmission
 * (core/peer/host-admission.ts) before the handshake, and every worker that joins earns its address more
 * budget until its peer disconnects. Why a per-host budget and not admission after the join proof: see there.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Libp2p, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { HostAdmission } from '../../core/peer/host-admission.js'
import type { CoordinatorEventTarget, WorkerJoined } from './events.js'

/** The IP address a multiaddr starts with (`/ip4/…`, `/ip6/…`); undefined for anything else. */
export function hostOf (addr: Multiaddr): string | undefined {
  const first = addr.getComponents()[0]
  return first != null && (first.name === 'ip4' || first.name === 'ip6') ? first.value : undefined
}

export class CoordinatorAdmission {
  private readonly budget: HostAdmission
  /** Peers of joined workers and the host each was counted under (a peer counts once, however many sessions). */
  private readonly counted = new Map<string, string>()
  private detach: (() => void) | undefined

  constructor (joinRate: number) {
    this.budget = new HostAdmission({ baseRate: joinRate })
  }

  /** For the connection gater: refuse a raw inbound connection whose host has no budget left this second. */
  readonly denyInboundConnection = (maConn: MultiaddrConnection): boolean => {
    const host = hostOf(maConn.remoteAddr)
    return host != null && !this.budget.admit(host)
  }

  /** Listens for joins (coordinator events) and disconnects (the node) from now on. */
  attach (node: Pick<Libp2p, 'getConnections' | 'addEventListener' | 'removeEventListener'>, events: CoordinatorEventTarget): void {
    const onJoined = (evt: CustomEvent<WorkerJoined>): void => {
      const peer = evt.detail.peer
      if (this.counted.has(peer)) return
      const connection = node.getConnections(peerIdFromString(peer))[0]
      const host = connection != null ? hostOf(connection.remoteAddr) : undefined
      if (host == null) return
      this.counted.set(peer, host)
      this.budget.joined(host)
    }
    const onDisconnect = (evt: CustomEvent<PeerId>): void => {
      const peer = evt.detail.toString()
      const host = this.counted.get(peer)
      if (host == null) return
      this.counted.delete(peer)
      this.budget.left(host)
    }
    events.addEventListener('worker:joined', onJoined)
    node.addEventListener('peer:disconnect', onDisconnect)
    this.detach = () => {
      events.removeEventListener('worker:joined', onJoined)
      node.removeEventListener('peer:disconnect', onDisconnect)
    }
  }

  stop (): void {
    this.detach?.()
  }

  /** New connections a second `host` may open now (for tests and logs). */
  rateOf (host: string): number {
    return this.budget.rateOf(host)
  }
}
