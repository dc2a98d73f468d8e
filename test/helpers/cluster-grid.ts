/**
 * For cluster tests with real processes: a flow folder with small WAT functions, a coordinator identity and
 * loopback port chosen up front (so workers can be started before the coordinator), and workers with labels.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import wabtInit from 'wabt'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import { freePort } from '../node-peer/net/nodes.js'
import { Proc } from './processes.js'

/**
 * `echo` emits its input unchanged; `slow_echo` spins a few milliseconds first (so several workers share a
 * stage); `pair_echo` emits its input twice (to see fan-out per member).
 */
export const CLUSTER_WAT = `(module
  (import "env" "memory" (memory 1))
  (import "grid" "emit" (func $emit (param i32 i32 i32)))
  (global (export "grid_abi_1") i32 (i32.const 1))
  (func (export "grid_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "echo") (param $ptr i32) (param $len i32)
    (call $emit (i32.const 0) (local.get $ptr) (local.get $len)))
  (func (export "slow_echo") (param $ptr i32) (param $len i32) (local $i i32)
    (local.set $i (i32.const 4000000))
    (loop $spin (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br_if $spin (local.get $i)))
    (call $emit (i32.const 0) (local.get $ptr) (local.get $len))))`

export interface ClusterGrid {
  readonly dir: string
  readonly identity: string
  /** --listen arguments for the coordinator */
  readonly listen: string[]
  /** what workers pass to --bootstrap */
  readonly bootstrap: string
}

/** A temporary folder with fns.wasm and flow.json, plus a coordinator identity and port. */
export async function clusterGrid (flow: object): Promise<ClusterGrid> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-clusters-'))
  const wabt = await wabtInit()
  const module = wabt.parseWat('fns.wat', CLUSTER_WAT)
  try {
    await writeFile(join(dir, 'fns.wasm'), module.toBinary({}).buffer)
  } finally {
    module.destroy()
  }
  await writeFile(join(dir, 'flow.json'), JSON.stringify(flow, null, 2))
  const identity = join(dir, 'coordinator.key')
  const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
  const tcp = await freePort()
  return { dir, identity, listen: ['--listen', `/ip4/127.0.0.1/tcp/${tcp}`], bootstrap: `/ip4/127.0.0.1/tcp/${tcp}/p2p/${peerId.toString()}` }
}

export function startWorker (grid: ClusterGrid, name: string, labels: string[] = []): Proc {
  return new Proc('grid-worker', ['--bootstrap', grid.bootstrap, '--threads', '1', '--name', name,
    ...labels.flatMap(l => ['--label', l]), '--cache', join(grid.dir, `cache-${name}`), '--quiet'])
}

export async function stopAll (procs: readonly Proc[]): Promise<void> {
  for (const p of procs) p.kill('SIGKILL')
  await Promise.all(procs.map(async p => await p.exited))
}

export const fnsFunctions = {
  echo: { wasm: 'fns.wasm', export: 'echo' },
  slow_echo: { wasm: 'fns.wasm', export: 'slow_echo' }
}
