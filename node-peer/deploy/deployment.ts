/**
 * `Deployment`: a grid described from code and deployed over this machine and SSH hosts (the Hydro Deploy
 * design: "a single config file can be used to generate multiple deployments, each with different
 * parameters"). Declare hosts and services, `await d.deploy()`, use `d.grid` (the library's `Grid`,
 * connected to the deployed coordinator), `await d.stop()`.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TypedEventEmitter } from '@libp2p/interface'
import { connect } from '../api/grid.js'
import type { Grid } from '../api/grid.js'
import { bootstrapFor, CoordinatorWatch } from './coordinator-watch.js'
import { DeployUsageError, ServiceStartError } from './errors.js'
import { LocalHost, SshHost } from './hosts.js'
import type { Host, SshHostInit } from './hosts.js'
import { announceDeployment } from './observers.js'
import { ProgressTree } from './progress-tree.js'
import { Service } from './service.js'

export interface DeploymentOptions {
  /** Show the progress tree on stderr (default true). */
  readonly progress?: boolean
}

export interface CoordinatorInit {
  /** The host it runs on: `d.localhost()` (the coordinator does not run on SSH hosts). */
  readonly on: Host
  /** Embedded worker threads besides the deployed workers (default 0). */
  readonly threads?: number
  /** Multiaddrs to listen on. Default: loopback when every worker is local, else every interface (a free TCP port). */
  readonly listen?: readonly string[]
  /** The workers' join secret. Default: a random one (workers get it in their environment). */
  readonly secret?: string
  /** Serve the browser page, the dashboard and /metrics on this port. */
  readonly http?: number
  /** More `grid-coordinator serve` options, as on its command line. */
  readonly args?: readonly string[]
}

export interface WorkersInit {
  readonly on: Host
  /** Threads per worker process (default 1: one process is one member, as with --spawn). */
  readonly threads?: number
  /** Labels of every worker (`grid-worker --label`), for clusters chosen by label. */
  readonly labels?: readonly string[]
}

export interface DeployOptions {
  /** How long starting may take, up to every worker joined (default 120 s). */
  readonly timeoutMs?: number
}

export interface DeploymentEvents {
  /** A line a service printed (`stream`: its stdout or stderr). */
  line: CustomEvent<{ readonly service: Service, readonly stream: 'stdout' | 'stderr', readonly line: string }>
  /** A service changed state (progress tree). */
  state: CustomEvent<Service>
  /** A service ended while the deployment was up (not stopped by it): its exit is on the service. */
  lost: CustomEvent<Service>
}

export const DEFAULT_DEPLOY_TIMEOUT_MS = 120_000

export class Deployment extends TypedEventEmitter<DeploymentEvents> {
  private readonly hostList: Host[] = []
  private readonly serviceList: Service[] = []
  private coordinatorService: Service | undefined
  private coordinatorInit: CoordinatorInit | undefined
  private readonly workerInits = new Map<Service, WorkersInit>()
  private local: LocalHost | undefined
  private connected: Grid | undefined
  private deploying: Promise<void> | undefined
  private stopping: Promise<void> | undefined
  private scratch: string | undefined
  private readonly tree: ProgressTree | undefined
  private readonly secrets = { join: '', submit: randomBytes(16).toString('hex') }
  /** Aborted by stop(): a deploy() still starting gives up at once instead of waiting for its timeout. */
  private readonly stopped = new AbortController()
  private readonly whenStopped = new Promise<void>(resolve => { this.stopped.signal.addEventListener('abort', () => { resolve() }, { once: true }) })

  constructor (options: DeploymentOptions = {}) {
    super()
    if (options.progress !== false) this.tree = new ProgressTree(() => this.hostList, () => this.serviceList)
    announceDeployment(this)
  }

  /** This machine (the same object every call). */
  localhost (): Host {
    if (this.local == null) {
      this.local = new LocalHost()
      this.hostList.push(this.local)
    }
    return this.local
  }

  /** A machine reached over SSH (system OpenSSH, key auth, host key checked): it needs Node ≥ 20 only. */
  ssh (init: SshHostInit): Host {
    const host = new SshHost(init)
    if (this.hostList.some(h => h.name === host.name)) throw new DeployUsageError(`d.ssh(): a host is already named "${host.name}": give each a distinct name`)
    this.hostList.push(host)
    return host
  }

  /** The coordinator (`grid-coordinator serve`), one per deployment. */
  coordinator (init: CoordinatorInit): Service {
    this.assertOpen('coordinator')
    this.assertHost(init.on, 'coordinator')
    if (this.coordinatorService != null) throw new DeployUsageError('d.coordinator(): a deployment has one coordinator, and this one has it already')
    if (!(init.on instanceof LocalHost)) throw new DeployUsageError(`d.coordinator({ on: ${init.on.name} }): the coordinator runs on d.localhost(); SSH hosts run workers (they get only the self-contained worker file)`)
    this.coordinatorInit = init
    this.coordinatorService = this.add(new Service('coordinator', init.on, s => { this.changed(s) }))
    return this.coordinatorService
  }

  /** `n` worker processes on a host, named worker/0, worker/1, … across the deployment. */
  workers (n: number, init: WorkersInit): Service[] {
    this.assertOpen('workers')
    this.assertHost(init.on, 'workers')
    if (!Number.isInteger(n) || n < 1 || n > 1024) throw new DeployUsageError(`d.workers(n): n must be a whole number from 1 to 1024, got ${String(n)}`)
    if (init.threads != null && (!Number.isInteger(init.threads) || init.threads < 1)) throw new DeployUsageError(`d.workers(${n}, { threads }): threads must be a whole number ≥ 1, got ${String(init.threads)}`)
    const first = this.serviceList.filter(s => this.workerInits.has(s)).length
    return Array.from({ length: n }, (_, i) => {
      const service = this.add(new Service(`worker/${first + i}`, init.on, s => { this.changed(s) }))
      this.workerInits.set(service, init)
      return service
    })
  }

  get services (): readonly Service[] {
    return this.serviceList
  }

  get hosts (): readonly Host[] {
    return this.hostList
  }

  /** The deployed grid (the library's `Grid`): `await d.grid.run(flow)`. Available once deploy() resolved. */
  get grid (): Grid {
    if (this.connected == null) throw new DeployUsageError('d.grid is available once `await d.deploy()` has resolved')
    return this.connected
  }

  /**
   * Checks and prepares every host (Node ≥ 20, a fresh folder, the worker file), starts the coordinator, then
   * the workers, waits until every worker has joined and connects `d.grid`. On any failure it stops what it
   * started and rejects (HostUnavailableError, HostKeyError, ServiceStartError, …).
   */
  async deploy (options: DeployOptions = {}): Promise<void> {
    if (this.deploying != null) throw new DeployUsageError('d.deploy() was called already: make a new Deployment for another set of services')
    this.deploying = this.deployNow(options.timeoutMs ?? DEFAULT_DEPLOY_TIMEOUT_MS)
    try {
      await this.deploying
    } catch (err) {
      this.tree?.finish()
      await this.stop()
      throw err
    }
  }

  /** Stops every service on every host (SIGINT, SIGKILL after 5 s), disconnects d.grid, removes every uploaded folder. */
  async stop (): Promise<void> {
    this.stopped.abort()
    this.stopping ??= this.stopNow()
    await this.stopping
  }

  private async deployNow (timeoutMs: number): Promise<void> {
    const coordinator = this.coordinatorService
    if (coordinator == null) throw new DeployUsageError('d.deploy(): no coordinator: add one with d.coordinator({ on: d.localhost() })')
    const deadline = Date.now() + timeoutMs
    this.scratch = await mkdtemp(join(tmpdir(), 'edge-grid-deploy-'))
    const scratch = this.scratch
    const init = this.coordinatorInit!
    this.secrets.join = init.secret ?? randomBytes(16).toString('hex')
    const used = this.hostList.filter(h => this.serviceList.some(s => s.host === h))
    for (const s of this.serviceList) s.setState('preparing')
    await Promise.all(used.map(async h => { await h.prepare(scratch, h instanceof LocalHost ? {} : { EDGE_GRID_SECRET: this.secrets.join }) }))
    this.assertNotStopped()
    for (const s of this.serviceList) if (s !== coordinator) s.setState('waiting')

    const remote = [...this.workerInits.values()].some(w => !(w.on instanceof LocalHost))
    const listen = init.listen ?? [remote ? '/ip4/0.0.0.0/tcp/0' : '/ip4/127.0.0.1/tcp/0']
    const watch = new CoordinatorWatch(coordinator, {
      joined: id => { const w = this.worker(id); if (w != null) w.setState('joined') },
      left: id => { const w = this.worker(id); if (w?.state === 'joined') w.setState('running') }
    })
    this.start(coordinator, {
      program: 'coordinator',
      args: ['serve', '--attached', '--workers', String(init.threads ?? 0), '--identity', join(scratch, 'coordinator.key'),
        ...listen.flatMap(a => ['--listen', a]), ...(init.http != null ? ['--http', String(init.http)] : []), ...(init.args ?? [])],
      secrets: { EDGE_GRID_SECRET: this.secrets.join, EDGE_GRID_SUBMIT_SECRET: this.secrets.submit }
    })
    const ready = await this.until(deadline, 'coordinator', () => watch.ready, () => watch.changed(), [coordinator])
    coordinator.setState('running')

    const workers = this.serviceList.filter(s => s !== coordinator)
    for (const w of workers) {
      const { on, threads, labels } = this.workerInits.get(w)!
      const bootstrap = bootstrapFor(ready, on.reachesUsAt)
      if (bootstrap == null) throw new ServiceStartError(w.label, `the coordinator listens on no TCP address (${ready.addresses.join(', ')}): give d.coordinator() a /tcp/ listen address`)
      const index = w.name.slice('worker/'.length)
      this.start(w, {
        program: 'worker',
        args: ['--bootstrap', bootstrap, '--name', index, '--threads', String(threads ?? 1), '--quiet', '--attached',
          '--cache', on instanceof LocalHost ? join(scratch, `cache-${index}`) : 'cache', ...(labels ?? []).flatMap(l => ['--label', l])],
        secrets: { EDGE_GRID_SECRET: this.secrets.join }
      })
      w.setState('running')
    }
    await this.until(deadline, 'workers', () => workers.every(w => watch.hasJoined(w.name)) ? true : undefined, () => watch.changed(), [coordinator, ...workers])
    this.connected = await connect(bootstrapFor(ready, undefined)!, { submitSecret: this.secrets.submit })
    this.assertNotStopped()
    this.tree?.finish()
    for (const s of this.serviceList) {
      void s.exited.then(() => { if (this.stopping == null && !s.stopRequested) this.safeDispatch('lost', s) })
    }
  }

  /** Starts a service and relays its lines as events. */
  private start (service: Service, what: Parameters<Service['start']>[0]): void {
    service.start(what)
    for (const stream of ['stdout', 'stderr'] as const) {
      void (async () => {
        for await (const line of service[stream]()) {
          this.safeDispatch('line', { service, stream, line })
          if (this.listenerCount('line') > 0) this.tree?.interrupted() // a listener (grid-deploy) printed it
        }
      })()
    }
  }

  /** Waits (bounded) until `value()` is defined; fails fast when one of `watched` exits, naming it and its last words. */
  private async until<T> (deadline: number, what: string, value: () => T | undefined, changed: () => Promise<void>, watched: readonly Service[]): Promise<T> {
    while (true) {
      this.assertNotStopped()
      const v = value()
      if (v !== undefined) return v
      const dead = watched.find(s => s.exit != null)
      if (dead != null) {
        const said = dead.stderrTail(8).join('\n  ')
        throw new ServiceStartError(dead.label, `exited while starting (${dead.describeExit()})${said !== '' ? `; its last lines:\n  ${said}` : ''}`)
      }
      const left = deadline - Date.now()
      if (left <= 0) {
        const waiting = watched.filter(s => s.state !== 'joined' && s.state !== 'running').map(s => `${s.label} (${s.state})`)
        throw new ServiceStartError(what, `not ready within the deploy timeout${waiting.length > 0 ? `; still waiting for ${waiting.join(', ')}` : ''}: check that the hosts reach this machine (firewall, the address workers were given), or raise deploy({ timeoutMs })`)
      }
      let timer: NodeJS.Timeout | undefined
      await Promise.race([changed(), this.whenStopped, ...watched.map(async s => await s.exited), new Promise(resolve => { timer = setTimeout(resolve, Math.min(left, 1000)) })])
      clearTimeout(timer)
    }
  }

  private async stopNow (): Promise<void> {
    await this.deploying?.catch(() => {})
    const errors: unknown[] = []
    try {
      await this.connected?.stop()
    } catch (err) { errors.push(err) }
    const workers = this.serviceList.filter(s => s !== this.coordinatorService)
    await Promise.all(workers.map(async s => await s.stop()))
    await this.coordinatorService?.stop()
    for (const result of await Promise.allSettled(this.hostList.map(async h => { await h.cleanup() }))) {
      if (result.status === 'rejected') errors.push(result.reason)
    }
    if (this.scratch != null) await rm(this.scratch, { recursive: true, force: true })
    if (errors.length > 0) throw errors[0]
  }

  private assertNotStopped (): void {
    if (this.stopped.signal.aborted) throw new ServiceStartError('deployment', 'stopped (d.stop()) while it was starting')
  }

  private worker (id: string): Service | undefined {
    return this.serviceList.find(s => s.name === id)
  }

  private add (service: Service): Service {
    this.serviceList.push(service)
    return service
  }

  private changed (service: Service): void {
    this.tree?.changed()
    this.safeDispatch('state', service)
  }

  private safeDispatch<K extends keyof DeploymentEvents> (type: K, detail: DeploymentEvents[K]['detail']): void {
    this.safeDispatchEvent(type, { detail } as any)
  }

  private assertOpen (what: string): void {
    if (this.deploying != null) throw new DeployUsageError(`d.${what}(): deploy() was called already; declare every service before it`)
  }

  private assertHost (host: Host, what: string): void {
    if (!this.hostList.includes(host)) throw new DeployUsageError(`d.${what}({ on }): the host must come from this deployment (d.localhost() or d.ssh(…))`)
  }
}
