/**
 * Where the page's settings come from: the URL first (`?bootstrap=…` for a page opened from anywhere, plus
 * knobs), then `/config.json` from the server that served the page (the coordinator's page server writes
 * its own WebSocket addresses there), so `http://coordinator:8080/` just works.
 *
 * URL parameters:
 *   bootstrap=MULTIADDR   coordinator address ending in /p2p/<id> (repeatable, or comma-separated);
 *                         overrides /config.json. With several, the tab works for one at a time (the first
 *                         that answers) and moves to the next in the list when it has been gone forget-after
 *   forget-after=SECONDS  how long the coordinator may be gone before the next one in the list is tried
 *                         (default 30: a restarted coordinator gets its tabs back first)
 *   ice=URL[,URL]         STUN/TURN server URLs for WebRTC (default none: no third-party traffic)
 *   threads=N             worker count (default navigator.hardwareConcurrency)
 *   name=TEXT             this worker's name in the coordinator's reports
 *   autostart=1           start donating at once (default: wait for the Donate switch)
 *   discover=MS           how long to look for other tabs before joining (default 1000)
 *   secret=TEXT           the coordinator's join secret (grid-coordinator --secret), proven, never sent;
 *                         a URL is kept in history and may be logged: share it only with volunteers
 */
export interface PageConfig {
  readonly bootstrap: readonly string[]
  readonly iceServers: RTCIceServer[]
  readonly threads?: number
  readonly name?: string
  readonly autostart: boolean
  readonly discoverMs: number
  /** With several bootstrap addresses: how long the coordinator may be gone before the next one is tried. */
  readonly forgetAfterMs: number
  /** The join secret, if the coordinator asks for one. */
  readonly secret?: string
}

export class PageConfigError extends Error {
  static override name = 'PageConfigError'
  constructor (message: string) {
    super(message)
    this.name = 'PageConfigError'
  }
}

const DEFAULT_DISCOVER_MS = 1000
/** grid-worker's default (core/worker/coordinator-choice.ts DEFAULT_FORGET_AFTER_MS), in seconds */
const DEFAULT_FORGET_AFTER_S = 30
const CONFIG_TIMEOUT_MS = 5000

export async function loadPageConfig (location: Location = window.location): Promise<PageConfig> {
  const params = new URLSearchParams(location.search)
  let bootstrap = params.getAll('bootstrap').flatMap(v => v.split(',')).map(v => v.trim()).filter(v => v !== '')
  if (bootstrap.length === 0) bootstrap = await fetchBootstrap(new URL('config.json', location.href))
  for (const addr of bootstrap) {
    if (!/\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/.test(addr)) throw new PageConfigError(`bootstrap address ${addr} must end in /p2p/<peer id>`)
  }
  const ice = params.getAll('ice').flatMap(v => v.split(',')).map(v => v.trim()).filter(v => v !== '')
  const threads = params.get('threads')
  return {
    bootstrap,
    iceServers: ice.length > 0 ? [{ urls: ice }] : [],
    threads: threads != null && /^\d+$/.test(threads) ? Number(threads) : undefined,
    name: params.get('name') ?? undefined,
    autostart: params.get('autostart') === '1',
    discoverMs: numberParam(params.get('discover'), DEFAULT_DISCOVER_MS),
    forgetAfterMs: numberParam(params.get('forget-after'), DEFAULT_FORGET_AFTER_S) * 1000,
    secret: params.get('secret') ?? undefined
  }
}

async function fetchBootstrap (url: URL): Promise<string[]> {
  let response: Response
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(CONFIG_TIMEOUT_MS), cache: 'no-store' })
  } catch (err) {
    throw new PageConfigError(`no ?bootstrap= in the URL and ${url.pathname} could not be fetched: ${(err as Error).message}`)
  }
  if (!response.ok) throw new PageConfigError(`no ?bootstrap= in the URL and ${url.pathname} answered ${response.status}`)
  const body: unknown = await response.json()
  const list = (body as { bootstrap?: unknown })?.bootstrap
  if (!Array.isArray(list) || !list.every(v => typeof v === 'string') || list.length === 0) {
    throw new PageConfigError(`${url.pathname} has no "bootstrap" list of multiaddrs`)
  }
  return list
}

function numberParam (value: string | null, fallback: number): number {
  if (value == null || !/^\d+$/.test(value)) return fallback
  return Number(value)
}
