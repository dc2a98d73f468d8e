/**
 * Errors of deployments (`edge-grid/deploy`). Each message says which host or service, what was expected and
 * what to do; callers branch on the class. None travels over the network.
 */
import { GridError } from '../../core/errors.js'

/** The deployment script asked for something a Deployment cannot do (a service on an unknown host, two coordinators, …). */
export class DeployUsageError extends GridError {
  static override name = 'DeployUsageError'
}

/** A host cannot run services: ssh failed to log in, Node.js is missing or older than 20, an upload failed. */
export class HostUnavailableError extends GridError {
  static override name = 'HostUnavailableError'
  constructor (readonly host: string, message: string, options?: ErrorOptions) {
    super(`${host}: ${message}`, options)
  }
}

/** The SSH host's key is not the one expected (known_hosts or the script's `hostKey`): the connection was refused. */
export class HostKeyError extends GridError {
  static override name = 'HostKeyError'
  constructor (readonly host: string, message: string, options?: ErrorOptions) {
    super(`${host}: ${message}`, options)
  }
}

/** A service exited while the deployment was starting, or did not get ready (joined, listening) in time. */
export class ServiceStartError extends GridError {
  static override name = 'ServiceStartError'
  constructor (readonly service: string, message: string, options?: ErrorOptions) {
    super(`${service}: ${message}`, options)
  }
}
