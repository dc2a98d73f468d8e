/**
 * Real headless Chromium for tests (Debian's /usr/bin/chromium driven by playwright-core; `npx playwright
 * install` cannot work offline). The flags keep it off the network: no QUIC, no background or component
 * traffic, and a proxy nobody listens on (loopback never goes through a proxy; everything else fails), so a
 * launch makes no DNS queries. Every browser gets a fresh profile in a temporary folder, removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { BrowserContext, Page } from 'playwright-core'

export const CHROMIUM_PATH = '/usr/bin/chromium'

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--proxy-server=http://127.0.0.1:9'
]

/**
 * WebRTC between two tabs on 127.0.0.1: allow loopback ICE candidates and keep real local IPs (no mDNS
 * `.local` names). Chromium only gathers non-default interfaces once the origin holds a media permission:
 * grant 'microphone' to the page's origin (see `openBrowser`'s `grantMedia`).
 */
export const WEBRTC_LOOPBACK_FLAGS = [
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns'
]

export interface BrowserInit {
  /** add WEBRTC_LOOPBACK_FLAGS */
  readonly webrtcLoopback?: boolean
  /** origins (e.g. http://127.0.0.1:1234) that get the microphone permission before any page loads */
  readonly grantMedia?: readonly string[]
  /** per-launch timeout, ms (default 30 s) */
  readonly launchTimeoutMs?: number
}

export interface TestBrowser {
  readonly context: BrowserContext
  /** Opens `url` in a new tab, with console errors collected into `errors`. */
  open: (url: string) => Promise<TestPage>
}

export interface TestPage {
  readonly page: Page
  /** page errors and console errors seen so far */
  readonly errors: string[]
}

/** Launches Chromium, runs `body`, and always closes the browser and removes its profile. */
export async function withBrowser<T> (init: BrowserInit, body: (browser: TestBrowser) => Promise<T>): Promise<T> {
  const profile = await mkdtemp(join(tmpdir(), 'edge-grid-chromium-'))
  let context: BrowserContext | undefined
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_FLAGS, ...(init.webrtcLoopback === true ? WEBRTC_LOOPBACK_FLAGS : [])],
      timeout: init.launchTimeoutMs ?? 30_000,
      viewport: { width: 1100, height: 820 }
    })
    for (const origin of init.grantMedia ?? []) await context.grantPermissions(['microphone'], { origin })
    const ctx = context
    const open = async (url: string): Promise<TestPage> => {
      const page = await ctx.newPage()
      const errors: string[] = []
      page.on('pageerror', err => { errors.push(`pageerror: ${err.message}`) })
      page.on('console', msg => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`) })
      await page.goto(url, { waitUntil: 'load', timeout: 20_000 })
      return { page, errors }
    }
    return await body({ context: ctx, open })
  } finally {
    await context?.close().catch(() => {})
    await rm(profile, { recursive: true, force: true })
  }
}

/** Polls `probe` (evaluated in the page) until `accept` says yes; fails with the last value after `ms`. */
export async function waitInPage<T> (page: Page, probe: () => T | Promise<T>, accept: (value: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms
  let last: T | undefined
  while (Date.now() < deadline) {
    last = await page.evaluate(probe)
    if (accept(last)) return last
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}; last value: ${JSON.stringify(last)}`)
}

/** `promise`, or a rejection after `ms` (the timer never outlives the wait). */
export async function within<T> (promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(what())) }, ms) })])
  } finally {
    clearTimeout(timer)
  }
}
