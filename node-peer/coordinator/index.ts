/**
 * A coordinator as a library: `Coordinator` (coordinator.ts) owns the pool, the network (network.ts: job
 * server + gossip), the page server and spawned workers; a flow is loaded as a `FlowPlan` and run on it.
 *
 *   import { Coordinator, loadFlowPlan } from './node-peer/coordinator/index.js'
 *   const coordinator = new Coordinator({ openSink })
 *   coordinator.addEventListener('run:done', evt => { console.log(evt.detail.jobsDone) })
 *   const run = await coordinator.prepare(await loadFlowPlan('flow.json'))
 *   await coordinator.start({ workers: 2 }, { signal })
 *   await coordinator.run(run, { signal })
 *   await coordinator.stop()
 */
export { Coordinator, DEFAULT_LISTEN, FALLBACK_LISTEN } from './coordinator.js'
export type { CoordinatorComponents, CoordinatorInit, CoordinatorNetworkOptions, RunOptions, RunResult } from './coordinator.js'
export { CoordinatorInterruptedError } from './errors.js'
export type { ClustersWaiting, CoordinatorEvents, NetworkListening, PeerMisbehaved, RunEnded, RunRef, RunStarted, WorkerJoined, WorkerLeft } from './events.js'
export { loadFlowPlan, pinnedStage } from './flow-plan.js'
export type { FlowPlan } from './flow-plan.js'
export { HostedRun, isSinkFailure } from './hosted-run.js'
export type { RunInit } from './hosted-run.js'
export { CoordinatorNetwork } from './network.js'
export type { CoordinatorNetworkComponents, CoordinatorNetworkInit } from './network.js'
export { SpawnError } from '../spawned-workers.js'
