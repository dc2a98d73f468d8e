/**
 * `grid-deploy script.mjs [args]`: runs a deployment script (it imports `edge-grid/deploy` and makes
 * Deployments), prints every service's output prefixed `[worker/3@host] …`, and stops every service on
 * every host when the script ends, fails, or is interrupted (Ctrl-C, SIGTERM).
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DeployUsageError } from '../deploy/errors.js'
import type { Deployment } from '../deploy/deployment.js'
import { observeDeployments } from '../deploy/observers.js'
import { Terminal } from './terminal.js'
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, UsageError, usageErrorMessage } from './usage.js'

const HELP = `Usage: grid-deploy <script.mjs> [script arguments...]

Runs a deployment script: a JavaScript module that imports edge-grid/deploy,
deploys a grid over this machine and SSH hosts, runs flows on it through the
library (d.grid.run(...)) and stops it. grid-deploy prints every service's
output prefixed [coordinator@localhost] or [worker/3@host], and stops every
service on every host (removing what it uploaded) when the script ends, when it
throws, or on Ctrl-C / SIGTERM. The script sees its own arguments in
process.argv.slice(2).

  import { Deployment } from 'edge-grid/deploy'
  const d = new Deployment()
  d.coordinator({ on: d.localhost() })
  d.workers(2, { on: d.ssh({ host: '10.0.0.7', user: 'grid', identityFile: 'key' }) })
  await d.deploy()
  const run = await d.grid.run('flow.json', { local: ['result'] })
  await run.done
  await d.stop()

SSH hosts need Node.js 20 or newer and key login; their host keys are checked
(known_hosts, or hostKey given in the script). See README "Deploy with a script".

Options:
  -h, --help   show this help

Exit codes: 0 the script finished, 1 it failed (an error, a host or service
that could not start), 2 bad usage (no such script, a mistake in the
deployment's declaration), 130 interrupted (Ctrl-C).
`

/** How long stopping everything may take after Ctrl-C before grid-deploy exits anyway. */
const STOP_TIMEOUT_MS = 30_000

export async function main (argv: string[], terminal = new Terminal()): Promise<number> {
  if (argv[0] === '-h' || argv[0] === '--help') {
    await terminal.write(HELP)
    return 0
  }
  const [script, ...args] = argv
  try {
    if (script == null) throw new UsageError('give the deployment script to run: grid-deploy script.mjs [args]')
    if (script.startsWith('-')) throw new UsageError(`unknown option ${script} (grid-deploy takes the script first; its own options go after it)`)
    if (!existsSync(script)) throw new UsageError(`${script}: no such file`)
  } catch (err) {
    terminal.log(`grid-deploy: ${usageErrorMessage(err)}\nRun grid-deploy --help for usage.`)
    return EXIT_BAD_INPUT
  }
  const path = resolve(script)
  const deployments: Deployment[] = []
  const unobserve = observeDeployments(d => {
    deployments.push(d)
    d.addEventListener('line', ({ detail: { service, stream, line } }) => {
      // a worker prefixes its own log lines `[worker/3] `: say it once, with the host
      const own = `[${service.name}] `
      const text = `[${service.label}] ${line.startsWith(own) ? line.slice(own.length) : line}`
      if (stream === 'stdout') process.stdout.write(`${text}\n`)
      else terminal.log(text)
    })
    d.addEventListener('lost', ({ detail: service }) => { terminal.log(`grid-deploy: ${service.label} ended (${service.describeExit()})`) })
  })
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(deployments.map(async d => { await d.stop() }))
  }

  // Ctrl-C: stop everything, then exit 130 (the script may be in the middle of anything)
  const interrupted = new Promise<string>(resolve => {
    process.once('SIGINT', () => { resolve('SIGINT') })
    process.once('SIGTERM', () => { resolve('SIGTERM') })
  })
  process.argv = [process.argv[0], path, ...args]
  const ran = import(pathToFileURL(path).href).then(() => undefined, (err: unknown) => err ?? new Error('the script threw undefined'))
  const outcome = await Promise.race([ran.then(err => ({ err })), interrupted.then(signal => ({ signal }))])
  unobserve()
  if ('signal' in outcome) {
    terminal.log(`grid-deploy: ${outcome.signal}: stopping every service on every host (${outcome.signal} again exits at once)`)
    const again = (): void => { process.exit(EXIT_INTERRUPTED) }
    process.once('SIGINT', again)
    process.once('SIGTERM', again)
    await withTimeout(stopAll(), STOP_TIMEOUT_MS)
    return EXIT_INTERRUPTED
  }
  await withTimeout(stopAll(), STOP_TIMEOUT_MS)
  if (outcome.err != null) {
    const err = outcome.err
    terminal.log(`grid-deploy: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
    return err instanceof DeployUsageError ? EXIT_BAD_INPUT : EXIT_FAILED
  }
  return 0
}

async function withTimeout (p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([p, new Promise<void>(resolve => { timer = setTimeout(resolve, ms) })])
  clearTimeout(timer)
}
