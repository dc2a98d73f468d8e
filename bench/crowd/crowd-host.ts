/**
 * One process of W9's crowd: hosts many worker agents, each a real libp2p node (TCP, Noise, Yamux, identify,
 * gossipsub: the same createGridNode as grid-worker) with its own key and its own connection to the
 * coordinator, speaking the real job protocol through grid-worker's WorkerRunner (CoordinatorLink +
 * WorkerAgent) and sending grid-worker's heartbeat. What the agents share is this process: one thread pool
 * runs every agent's jobs (each agent sees one slot, as a one-thread grid-worker), and a module is compiled
 * once for all of them. That is what lets a thousand volunteers fit on a 2-core machine.
 *
 *   node dist/bench/crowd/crowd-host.js --bootstrap ADDR --agents N --prefix NAME [--threads T]
 *
 * Prints `created N agents in MS ms` once every node exists, `started N agents in MS ms` once all dial, and `connected NAME MS` and `welcomed NAME MS` per
 * agent (ms since this process started); SIGTERM stops every node and exits.
 */
import '../../node-peer/net/polyfill.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { parseArgs } from 'node:util'
import type { Job, JobExecutor, JobOutcome } from '../../core/jobs.js'
import { ThreadPool } from '../../node-peer/executor/pool.js'
import { keepConnected } from '../../core/peer/redial.js'
import { createGridNode } from '../../node-peer/net/node.js'
import type { GridNode } from '../../node-peer/net/node.js'
import { startHeartbeat } from '../../node-peer/worker-heartbeat.js'
import type { Heartbeat } from '../../node-peer/worker-heartbeat.js'
import { WorkerRunner } from '../../node-peer/worker-runner.js'

/** One agent's view of the process's pool: one slot, modules added once for everyone. */
class SharedSlot implements JobExecutor {
  readonly slots = 1
  constructor (private readonly pool: ThreadPool, private readonly adding: Map<string, Promise<void>>) {}

  async addModule (hash: string, bytes: Uint8Array): Promise<void> {
    let adding = this.adding.get(hash)
    if (adding == null) {
      adding = this.pool.addModule(hash, bytes)
      this.adding.set(hash, adding)
      adding.catch(() => { this.adding.delete(hash) })
    }
    await adding
  }

  hasModule (hash: string): boolean {
    return this.pool.hasModule(hash)
  }

  async run (batch: readonly Job[]): Promise<JobOutcome[]> {
    return await this.pool.run(batch)
  }

  async close (): Promise<void> { /* the pool belongs to the process */ }
}

interface Agent {
  readonly node: GridNode
  readonly runner: WorkerRunner
  readonly heartbeat: Heartbeat
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      bootstrap: { type: 'string' },
      agents: { type: 'string' },
      prefix: { type: 'string' },
      threads: { type: 'string', default: '1' }
    }
  })
  const bootstrap = values.bootstrap
  const count = Number(values.agents)
  const threads = Number(values.threads)
  if (bootstrap == null || !Number.isInteger(count) || count < 1 || values.prefix == null || !Number.isInteger(threads) || threads < 1) {
    throw new Error('usage: crowd-host --bootstrap ADDR --agents N --prefix NAME [--threads T]')
  }
  const began = performance.now()
  const since = (): number => Math.round(performance.now() - began)
  const pool = new ThreadPool({ threads })
  const adding = new Map<string, Promise<void>>()
  const agents: Agent[] = []
  let stopping = false

  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    for (const agent of agents) agent.heartbeat.stop()
    await Promise.allSettled(agents.map(async a => await a.node.stop()))
    await pool.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => { void stop() })
  process.on('SIGINT', () => { void stop() })

  // Two phases: every node is created first, then all of them dial at once. Creating a node costs tens of ms
  // of this process's CPU; created while earlier agents handshake, it starved their handshakes past the dial
  // timeout on a busy machine (every aborted handshake is wasted work on both sides).
  const created: Array<{ name: string, node: GridNode }> = []
  for (let i = 0; i < count && !stopping; i++) {
    created.push({ name: `${values.prefix}-${i + 1}`, node: await createGridNode({ privateKey: await generateKeyPair('Ed25519'), listen: [] }) })
  }
  process.stdout.write(`created ${created.length} agents in ${since()} ms\n`)
  for (const { name, node } of created) {
    if (stopping) break
    const runner = new WorkerRunner({
      node,
      executor: new SharedSlot(pool, adding),
      info: { name, threads: 1, platform: `node-${process.version}`, labels: [] },
      bootstrap: [bootstrap],
      mdns: false,
      events: { welcome: () => { process.stdout.write(`welcomed ${name} ${since()}\n`) } }
    })
    node.addEventListener('peer:connect', () => { process.stdout.write(`connected ${name} ${since()}\n`) }, { once: true })
    // what createGridNode does with a bootstrap list, started here for all agents at once
    keepConnected(node, [bootstrap])
    runner.start()
    const heartbeat = startHeartbeat(node.services.pubsub, () => ({ t: 'worker', name, threads: 1, platform: 'node', labels: [], jobsDone: runner.agent.stats.jobsDone }))
    agents.push({ node, runner, heartbeat })
  }
  process.stdout.write(`started ${agents.length} agents in ${since()} ms\n`)
}

main().catch(err => {
  process.stderr.write(`crowd-host: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
