/**
 * edge-grid deployments: a grid described in a script, deployed over this machine and SSH hosts, used through
 * the library, and taken down. Run scripts with `npx grid-deploy script.mjs` (output prefixed per service,
 * everything stopped on Ctrl-C or an error), or with plain `node`.
 *
 *   import { Deployment } from 'edge-grid/deploy'
 *   const d = new Deployment()
 *   const here = d.localhost()
 *   const box = d.ssh({ host: '10.0.0.7', user: 'grid', identityFile: '~/.ssh/id_ed25519' })
 *   d.coordinator({ on: here })
 *   d.workers(4, { on: box })
 *   await d.deploy()
 *   const run = await d.grid.run('flow.json', { local: ['result'] })
 *   console.log((await run.done).jobsDone)
 *   await d.stop()
 *
 * @packageDocumentation
 */
export { Deployment, DEFAULT_DEPLOY_TIMEOUT_MS } from './deployment.js'
export type { CoordinatorInit, DeploymentEvents, DeploymentOptions, DeployOptions, WorkersInit } from './deployment.js'
export type { Host, SshHostInit } from './hosts.js'
export { Service, STOP_GRACE_MS } from './service.js'
export type { ServiceState } from './service.js'
export type { ServiceExit } from './service-process.js'
export { DeployUsageError, HostKeyError, HostUnavailableError, ServiceStartError } from './errors.js'
export { observeDeployments } from './observers.js'
