/**
 * libp2p's component logger, made free when nothing is being logged. libp2p asks for a logger per connection
 * and per stream (and a scope of it per stream part); @libp2p/logger builds two `debug` instances for each,
 * and each checks whether stderr is a terminal: ≈45 µs per logger here, a few ms of a coordinator's CPU per
 * worker that joins (seven streams each), all to log nothing. With no `DEBUG` namespace enabling a name, the
 * logger handed out is a shared no-op; `DEBUG=libp2p:*` (or any namespace) still gets libp2p's own loggers.
 */
import { defaultLogger, enabled } from '@libp2p/logger'
import type { ComponentLogger, Logger } from '@libp2p/interface'

/** The logger libp2p's components get from a grid node (node.ts). */
export function gridLogger (): ComponentLogger {
  const real = defaultLogger()
  const forName = (name: string): Logger => anyEnabled(name) ? real.forComponent(name) : silent(name, forName)
  return { forComponent: forName }
}

/** Whether DEBUG enables the name, its errors or its trace. */
function anyEnabled (name: string): boolean {
  return enabled(name) || enabled(`${name}:error`) || enabled(`${name}:trace`)
}

/** A logger that logs nothing; its scopes are checked again (DEBUG may enable `a:b` and not `a`). */
function silent (name: string, forName: (name: string) => Logger): Logger {
  const log = (): void => {}
  return Object.assign(log, {
    error: log,
    trace: log,
    enabled: false,
    newScope: (scope: string) => forName(`${name}:${scope}`)
  })
}
