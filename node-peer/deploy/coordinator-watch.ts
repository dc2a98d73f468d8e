/**
 * Reads a deployed `grid-coordinator serve`'s log (stderr) for what the deployment needs: its peer id and
 * addresses, when it serves, and which workers joined or left. The log is the CLI's documented output
 * (`edge-grid coordinator <id>`, `listening on <addr>`, `serving: Ctrl-C stops`, `+ worker/N joined …`,
 * `- worker/N <reason>`), the same lines a person watching it reads.
 */
import type { Service } from './service.js'

export interface CoordinatorReady {
  readonly peerId: string
  readonly addresses: readonly string[]
}

export class CoordinatorWatch {
  private peerId = ''
  private readonly addresses: string[] = []
  private readonly joined = new Set<string>()
  private readonly waiters = new Set<() => void>()
  private servingNow = false
  private ended = false

  constructor (service: Service, private readonly events: { joined: (worker: string) => void, left: (worker: string, reason: string) => void }) {
    void this.read(service)
  }

  get ready (): CoordinatorReady | undefined {
    return this.servingNow ? { peerId: this.peerId, addresses: this.addresses } : undefined
  }

  /** `worker/3` has joined (and not left since). */
  hasJoined (worker: string): boolean {
    return this.joined.has(worker)
  }

  /**
   * Resolves at the next line read. Once the log has ended nothing changes any more: it never resolves (the
   * caller also waits for the process's exit and a timer; resolving at once would spin without yielding).
   */
  async changed (): Promise<void> {
    if (this.ended) return await new Promise<void>(() => {})
    await new Promise<void>(resolve => this.waiters.add(resolve))
  }

  private async read (service: Service): Promise<void> {
    for await (const line of service.stderr()) {
      let m: RegExpExecArray | null
      if ((m = /^edge-grid coordinator (\S+)/.exec(line)) != null) this.peerId = m[1]
      else if ((m = /^ {2}listening on (\S+)/.exec(line)) != null) this.addresses.push(m[1])
      else if (line.startsWith('serving: Ctrl-C stops')) this.servingNow = true
      else if ((m = /^\+ (worker\/\S+) joined/.exec(line)) != null) {
        this.joined.add(m[1])
        this.events.joined(m[1])
      } else if ((m = /^- (worker\/\S+) (.*)$/.exec(line)) != null) {
        this.joined.delete(m[1])
        this.events.left(m[1], m[2])
      }
      this.wake()
    }
    this.ended = true
    this.wake()
  }

  private wake (): void {
    const waiters = [...this.waiters]
    this.waiters.clear()
    for (const w of waiters) w()
  }
}

/**
 * The address to hand workers on a host as `--bootstrap`: the coordinator's TCP address on the interface
 * the host reaches us through (`reachesUsAt`, from the host's SSH_CONNECTION), or loopback on this machine.
 */
export function bootstrapFor (ready: CoordinatorReady, reachesUsAt: string | undefined): string | undefined {
  const tcp = ready.addresses.filter(a => /\/tcp\/\d+\/p2p\//.test(a) && !a.includes('/ws'))
  const ip = (a: string): string | undefined => /^\/ip[46]\/([^/]+)\//.exec(a)?.[1]
  if (reachesUsAt == null) return tcp.find(a => /^\/ip4\/127\./.test(a)) ?? tcp.find(a => /^\/ip6\/::1\//.test(a)) ?? tcp[0]
  const same = tcp.find(a => ip(a) === reachesUsAt)
  if (same != null) return same
  // listening on 0.0.0.0 lists every interface; an address seen through NAT is not among them: use its port
  const port = /\/tcp\/(\d+)\//.exec(tcp[0] ?? '')?.[1]
  if (port == null) return undefined
  return `/${reachesUsAt.includes(':') ? 'ip6' : 'ip4'}/${reachesUsAt}/tcp/${port}/p2p/${ready.peerId}`
}
