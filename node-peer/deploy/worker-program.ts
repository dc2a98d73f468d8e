/**
 * Which program a service runs on each kind of host. The one place to change when the programs move.
 *
 * - On this machine: the package's own CLIs (node-peer/bin/grid-worker.js, grid-coordinator.js).
 * - On an SSH host: the worker alone, as one self-contained file uploaded into the host's fresh folder,
 *   so the host needs only Node ≥ 20 (no clone, no npm install).
 */
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WORKER_BUNDLE_NAME, workerBundlePath } from '../bundle/bundle-path.js'
import { DeployUsageError } from './errors.js'

/** Node major a remote host needs: the worker bundle's. */
export { MIN_NODE_MAJOR } from '../bundle/node-version.js'

/** This file runs as dist/node-peer/deploy/worker-program.js. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const LOCAL_WORKER_BIN = join(PACKAGE_ROOT, 'node-peer', 'bin', 'grid-worker.js')
export const LOCAL_COORDINATOR_BIN = join(PACKAGE_ROOT, 'node-peer', 'bin', 'grid-coordinator.js')

/** The file's name in the host's folder. */
export const REMOTE_WORKER_FILE = WORKER_BUNDLE_NAME

/**
 * The local file uploaded to SSH hosts as REMOTE_WORKER_FILE: the self-contained worker bundle
 * (dist/bundle/grid-worker.mjs, node-peer/bundle/), built by `npm install` / `npm run build:bundle`.
 */
export async function workerUploadFile (): Promise<string> {
  try {
    await access(workerBundlePath)
  } catch {
    throw new DeployUsageError(`the worker bundle ${workerBundlePath} is not built, so there is nothing to upload to SSH hosts: run "npm run build:bundle" (or "npm install") in the edge-grid folder`)
  }
  return workerBundlePath
}
