/**
 * The Node.js the worker (and its bundle) needs: 20 or newer (libp2p 3, `os.availableParallelism`, the
 * bundle's build target). The bundle checks it before loading anything else, so an old Node says so
 * plainly instead of failing somewhere inside libp2p.
 */

/** Oldest Node.js major version the worker runs on. */
export const MIN_NODE_MAJOR = 20

/** Why `version` (as in `process.versions.node`, e.g. "18.19.0") cannot run the worker, or undefined when it can. */
export function nodeTooOld (version: string): string | undefined {
  const major = Number.parseInt(version.split('.')[0] ?? '', 10)
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return undefined
  return `grid-worker needs Node.js ${MIN_NODE_MAJOR} or newer; this is Node.js ${version}. Install a current Node.js (https://nodejs.org) and run it again.`
}
