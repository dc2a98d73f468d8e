/**
 * How `grid-deploy` sees the Deployments a script makes: every new Deployment is announced to observers
 * registered on a global symbol, so the CLI can prefix their output and stop them on Ctrl-C. A global symbol
 * and not a module variable, because the script may import another copy of edge-grid than the CLI's (its
 * own node_modules): Symbol.for is shared by every copy in the process.
 */
import type { Deployment } from './deployment.js'

const KEY = Symbol.for('edge-grid.deploy.observers')

type Observer = (deployment: Deployment) => void

function observers (): Set<Observer> {
  const g = globalThis as Record<symbol, Set<Observer> | undefined>
  g[KEY] ??= new Set()
  return g[KEY]
}

/** @internal called by the Deployment constructor */
export function announceDeployment (deployment: Deployment): void {
  for (const observe of observers()) observe(deployment)
}

/** Calls `observe` with every Deployment made from now on; returns what removes it. */
export function observeDeployments (observe: Observer): () => void {
  observers().add(observe)
  return () => { observers().delete(observe) }
}
