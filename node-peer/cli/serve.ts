/**
 * `grid-coordinator serve`: a standing coordinator with no flow of its own. Volunteers join it once; clients
 * submit flows to it (`grid-coordinator flow.json --grid ADDR`) and get their results where they are. Runs
 * until Ctrl-C; with --state, runs going on are kept and resumed by the next start.
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { peerIdFromString } from '@libp2p/peer-id'
import { Coordinator, DEFAULT_LISTEN } from '../coordinator/coordinator.js'
import { DEFAULT_CLIENT_GRACE_MS } from '../coordinator/submit/submit-server.js'
import { RunStore } from '../coordinator/submit/run-store.js'
import { openSink } from '../sinks/open-sink.js'
import { CoordinatorView } from './coordinator-view.js'
import { Terminal } from './terminal.js'
import { DEFAULT_JOIN_RATE, DEFAULT_MAX_PEERS, MAX_MAX_PEERS } from '../net/limits.js'
import { EXIT_BAD_INPUT, intOption, parseCommandLine, UsageError } from './usage.js'

const HELP = `Usage: grid-coordinator serve [options]

Runs a standing coordinator: volunteers join it once (the join command is
printed at start), and clients submit flows to it from anywhere, several at
once, each getting its output in its own folder:
  npx --no-install grid-coordinator flow.json --grid <address printed at start>
Runs share the workers fairly (weighted by the client's --priority). Ctrl-C
stops it; with --state, runs going on are resumed by the next start.

Options:
  --listen ADDR       multiaddr to listen on (repeatable; default
                      ${DEFAULT_LISTEN.join(',\n                      ')})
  --workers N         embedded worker threads (default: CPU count, here ${availableParallelism()})
  --secret S          the join secret volunteers must prove (default:
                      EDGE_GRID_SECRET)
  --submit-secret S   the secret clients must prove to submit flows (HMAC over
                      a fresh nonce, never sent; default:
                      EDGE_GRID_SUBMIT_SECRET). Volunteers never get to submit.
  --allow FILE        client peer ids (one per line, # comments) admitted
                      without the submit secret
  --http PORT         serve the browser worker page on PORT
  --max-peers N       most volunteers connected at once (default ${DEFAULT_MAX_PEERS})
  --join-rate N       new connections a second from one IP address before any
                      worker from it joined (default ${DEFAULT_JOIN_RATE}; each joined one adds one)
  --mdns              announce this coordinator on the local network by mDNS
  --identity PATH     the coordinator's key file (default: STATE/coordinator.key
                      with --state, else .edge-grid/coordinator.key)
  --state DIR         keep every run (its submission and journal) in DIR: a
                      coordinator killed and started again with the same DIR
                      resumes them, and their clients attach again by themselves
  --client-grace S    a run whose client is gone this many seconds is
                      cancelled, unless submitted with --detach (default ${DEFAULT_CLIENT_GRACE_MS / 1000})
  --quiet             only errors and run lines
  --attached          stop when stdin closes (grid-deploy starts it this way,
                      so it ends with the deployment even when that is killed)
  -h, --help          show this help

Without --submit-secret or --allow, serve listens on loopback only: anyone who
can reach it could run code on your volunteers.

Example:
  npx --no-install grid-coordinator serve --submit-secret s3cret --state .edge-grid/serve
`

interface ServeOptions {
  listen: string[]
  workers: number
  secret?: string
  submitSecret?: string
  allow?: string
  http?: number
  maxPeers: number
  joinRate: number
  mdns: boolean
  identity: string
  state?: string
  graceMs: number
  quiet: boolean
  attached: boolean
}

function parseServeOptions (argv: string[]): ServeOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      listen: { type: 'string', multiple: true },
      workers: { type: 'string' },
      secret: { type: 'string' },
      'submit-secret': { type: 'string' },
      allow: { type: 'string' },
      http: { type: 'string' },
      'max-peers': { type: 'string' },
      'join-rate': { type: 'string' },
      mdns: { type: 'boolean', default: false },
      identity: { type: 'string' },
      state: { type: 'string' },
      'client-grace': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      attached: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help === true) return 'help'
  if (positionals.length > 0) throw new UsageError(`serve takes no flow file (clients submit theirs with --grid), got ${positionals.join(' ')}`)
  const submitSecret = nonEmpty('--submit-secret / EDGE_GRID_SUBMIT_SECRET', values['submit-secret'] ?? process.env.EDGE_GRID_SUBMIT_SECRET)
  const listen = values.listen ?? (submitSecret != null || values.allow != null ? DEFAULT_LISTEN : ['/ip4/127.0.0.1/tcp/4747'])
  const open = listen.filter(a => !/^\/ip4\/127\.|^\/ip6\/::1\//.test(a))
  if (open.length > 0 && submitSecret == null && values.allow == null) {
    throw new UsageError(`serve would listen on ${open.join(', ')}, beyond this machine, with no way to tell clients apart: anyone who can reach it could run code on your volunteers. Set --submit-secret S (or EDGE_GRID_SUBMIT_SECRET) or --allow FILE, or listen on 127.0.0.1 only`)
  }
  return {
    listen,
    workers: intOption('--workers', values.workers, 0, 1024, availableParallelism()),
    secret: nonEmpty('--secret / EDGE_GRID_SECRET', values.secret ?? process.env.EDGE_GRID_SECRET),
    submitSecret,
    allow: values.allow,
    http: values.http != null ? intOption('--http', values.http, 0, 65535, 0) : undefined,
    maxPeers: intOption('--max-peers', values['max-peers'], 1, MAX_MAX_PEERS, DEFAULT_MAX_PEERS),
    joinRate: intOption('--join-rate', values['join-rate'], 1, 100_000, DEFAULT_JOIN_RATE),
    mdns: values.mdns === true,
    identity: values.identity ?? (values.state != null ? new RunStore(values.state).identityPath : join('.edge-grid', 'coordinator.key')),
    state: values.state,
    graceMs: intOption('--client-grace', values['client-grace'], 1, 86_400, DEFAULT_CLIENT_GRACE_MS / 1000) * 1000,
    quiet: values.quiet === true,
    attached: values.attached === true
  }
}

function nonEmpty (what: string, value: string | undefined): string | undefined {
  if (value === '') throw new UsageError(`${what} is empty`)
  return value
}

/** `--allow FILE`: peer ids, one per line; a line that is not one is an error naming the line. */
async function readAllowList (path: string): Promise<Set<string>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new UsageError(`--allow ${path}: cannot read it (${(err as Error).message})`)
  }
  const ids = new Set<string>()
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim()
    if (line === '') return
    try {
      peerIdFromString(line)
    } catch {
      throw new UsageError(`--allow ${path}:${i + 1}: expected a peer id (12D3KooW…), got "${line}"`)
    }
    ids.add(line)
  })
  return ids
}

export async function serveMain (argv: string[], terminal = new Terminal()): Promise<number> {
  const options = await parseCommandLine('grid-coordinator serve', HELP, argv, terminal, parseServeOptions)
  if (typeof options === 'number') return options
  let allowed: Set<string>
  try {
    allowed = options.allow != null ? await readAllowList(options.allow) : new Set()
  } catch (err) {
    terminal.log(`error: ${(err as Error).message}`)
    return EXIT_BAD_INPUT
  }
  const stopped = new Promise<void>(resolve => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
    // the deployment holds the other end: when it goes, so does this coordinator
    if (options.attached) process.stdin.on('end', resolve).on('error', resolve).resume()
  })
  // a standing coordinator writes no sink of its own: every run's sinks are its client's
  const coordinator = new Coordinator({ openSink: async (sink, resume) => await openSink(sink, terminal, resume) })
  const view = new CoordinatorView(coordinator, terminal, { quiet: options.quiet, embeddedWorkers: options.workers, spawn: 0, standing: true })
  coordinator.addEventListener('network:listening', ({ detail }) => {
    const secret = options.submitSecret != null ? ' --submit-secret …  (or EDGE_GRID_SUBMIT_SECRET)' : ''
    terminal.log(`clients submit flows with:\n  npx --no-install grid-coordinator flow.json --grid ${detail.joinAddress}${secret}`)
  })
  try {
    await coordinator.start({
      workers: options.workers,
      network: { listen: options.listen, mdns: options.mdns, identity: options.identity, secret: options.secret, http: options.http, limits: { maxPeers: options.maxPeers, joinRate: options.joinRate } },
      serve: { secret: options.submitSecret, allowed, store: options.state != null ? new RunStore(options.state) : undefined, graceMs: options.graceMs },
      standing: true
    })
    terminal.log('serving: Ctrl-C stops')
    await stopped
    terminal.log(`stopping${options.state != null ? `: runs going on are kept in ${options.state}` : ''}`)
    return 0
  } finally {
    view.stopProgress()
    await coordinator.stop()
    if (options.attached) process.stdin.destroy() // the open pipe would keep the process alive
  }
}
