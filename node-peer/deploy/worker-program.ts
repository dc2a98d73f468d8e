/**
 * Which program a service runs on each kind of host. The one place to change when the programs move.
 *
 * - On this machine: the package's own CLIs (node-peer/bin/grid-worker.js, grid-coordinator.js).
 * - On an SSH host: the worker alone, as one self-contained file uploaded into the host's fresh folder,
 *   so the host needs only Node ≥ 20 (no clone, no npm install).
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Node major a remote host needs (the package's `engines`). */
export const MIN_NODE_MAJOR = 20

/** This file runs as dist/node-peer/deploy/worker-program.js. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const LOCAL_WORKER_BIN = join(PACKAGE_ROOT, 'node-peer', 'bin', 'grid-worker.js')
export const LOCAL_COORDINATOR_BIN = join(PACKAGE_ROOT, 'node-peer', 'bin', 'grid-coordinator.js')

/** The file's name in the host's folder. */
export const REMOTE_WORKER_FILE = 'grid-worker.mjs'

/**
 * The local file uploaded to SSH hosts as REMOTE_WORKER_FILE.
 * INTERIM until the worker bundle lands on main: a two-line module that starts this checkout's compiled
 * worker by its absolute path, which works only when the "host" shares this machine's filesystem (the
 * tests' network namespaces). It is replaced by the bundle (node-peer/bundle, `workerBundlePath`).
 */
export async function workerUploadFile (scratch: string): Promise<string> {
  const file = join(scratch, REMOTE_WORKER_FILE)
  const cli = new URL('../cli/worker.js', import.meta.url).href
  await writeFile(file, `const { main } = await import(${JSON.stringify(cli)})\nprocess.exitCode = await main(process.argv.slice(2))\n`)
  return file
}
