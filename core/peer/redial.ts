/**
 * Keeps a connection to a few well-known peers (a worker's coordinator) for as long as the node runs.
 *
 * Why our own loop: in libp2p 3, `@libp2p/bootstrap` dials each listed peer exactly once (1 s after start),
 * so a worker started before its coordinator never connects; the connection manager's reconnect queue
 * only covers peers tagged KEEP_ALIVE and gives up (and drops the tag) after 5 attempts, so a coordinator
 * that is down for more than a few seconds is lost for good. This loop dials until connected, waits for
 * `peer:disconnect`, then dials again, with capped exponential backoff and jitter between failures (many
 * workers must not hit a restarted coordinator in lock-step).
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'

export interface RedialInit {
  /** first wait after a failed dial, ms (default 250) */
  minDelayMs?: number
  /** longest wait between attempts, ms (default 5000: a restarted coordinator is found within ~5 s) */
  maxDelayMs?: number
  /** growth of the wait after each failure (default 2) */
  factor?: number
  /** longest single dial attempt, ms (default 10000) */
  dialTimeoutMs?: number
}

export interface Redial {
  /** Stops every loop; an in-flight dial is aborted. Safe to call twice. */
  stop: () => void
}

interface Target { readonly peer: PeerId, readonly addr: Multiaddr }

/** Starts one loop per address (each must end in `/p2p/<peer id>`). Stops by itself when the node stops. */
export function keepConnected (node: Libp2p, addresses: readonly string[], init: RedialInit = {}): Redial {
  const controller = new AbortController()
  const { signal } = controller
  const wakers = new Map<string, () => void>()
  const log = node.logger.forComponent('edge-grid:redial')

  const targets: Target[] = addresses.map(a => {
    const addr = multiaddr(a)
    const id = addr.getComponents().findLast(c => c.name === 'p2p')?.value
    if (id == null) throw new TypeError(`bootstrap address ${a} has no /p2p/<peer id>`)
    return { peer: peerIdFromString(id), addr }
  })

  const onDisconnect = (evt: CustomEvent<PeerId>): void => { wakers.get(evt.detail.toString())?.() }
  const stop = (): void => {
    if (signal.aborted) return
    controller.abort()
    node.removeEventListener('peer:disconnect', onDisconnect)
    node.removeEventListener('stop', stop)
    for (const wake of wakers.values()) wake()
  }
  node.addEventListener('peer:disconnect', onDisconnect)
  node.addEventListener('stop', stop)

  for (const target of targets) {
    void loop(target).catch(err => { log.error('redial loop for %p ended - %e', target.peer, err) })
  }

  async function loop ({ peer, addr }: Target): Promise<void> {
    const minDelay = init.minDelayMs ?? 250
    const maxDelay = init.maxDelayMs ?? 5000
    const factor = init.factor ?? 2
    let delay = minDelay
    while (!signal.aborted) {
      if (node.getConnections(peer).length > 0) {
        delay = minDelay
        await waitFor(peer, Infinity)
        continue
      }
      try {
        await node.dial(addr, { signal: AbortSignal.any([signal, AbortSignal.timeout(init.dialTimeoutMs ?? 10_000)]) })
        log('connected to %p', peer)
        delay = minDelay
      } catch (err) {
        if (signal.aborted) return
        const wait = delay * (0.8 + 0.4 * Math.random())
        log('dial %a failed, next attempt in %d ms - %e', addr, Math.round(wait), err)
        await waitFor(peer, wait)
        delay = Math.min(delay * factor, maxDelay)
      }
    }
  }

  /** Resolves after `ms`, or at once on a disconnect of `peer` or on stop. */
  async function waitFor (peer: PeerId, ms: number): Promise<void> {
    if (signal.aborted) return
    const key = peer.toString()
    await new Promise<void>(resolve => {
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined
      function done (): void {
        clearTimeout(timer)
        if (wakers.get(key) === done) wakers.delete(key)
        resolve()
      }
      wakers.set(key, done)
    })
  }

  return { stop }
}
