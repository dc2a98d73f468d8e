/**
 * Fuzzing kit for the wire protocols: a seeded PRNG (a failure replays with the printed seed), byte and
 * structure mutations of real messages, and frame builders (valid, mutated, oversized, malformed).
 * Every frame is classified with the receiver's own guard, so a test knows which frames the peer must
 * accept and which must end the stream.
 */
import { decodeValue, encodeValue } from '../../core/codec.js'
import { encodeFrame, lengthPrefix } from '../../core/protocol/frames.js'

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
export class Rng {
  private state: number
  constructor (readonly seed: number) {
    this.state = seed >>> 0
  }

  next (): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.next() * n)
  }

  chance (p: number): boolean {
    return this.next() < p
  }

  pick<T> (items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  bytes (n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.int(256)
    return out
  }

  string (max: number): string {
    const n = this.int(max + 1)
    let s = ''
    for (let i = 0; i < n; i++) s += this.chance(0.9) ? String.fromCharCode(32 + this.int(95)) : String.fromCodePoint(this.int(0x10ffff + 1) & 0xd7ff)
    return s
  }
}

/** Seed from FUZZ_SEED (to replay a failure) or a fresh random one. */
export function fuzzSeed (): number {
  const fromEnv = process.env.FUZZ_SEED
  if (fromEnv != null && fromEnv !== '') return Number(fromEnv) >>> 0
  return Math.floor(Math.random() * 2 ** 32) >>> 0
}

/** msgpack prefixes that declare huge or odd contents (array32/map32/bin32/str32 of 4G, ext, reserved 0xc1). */
const NASTY_MSGPACK = [
  [0xdd, 0xff, 0xff, 0xff, 0xff], [0xdf, 0xff, 0xff, 0xff, 0xff], [0xc6, 0xff, 0xff, 0xff, 0xff],
  [0xdb, 0x7f, 0xff, 0xff, 0xff], [0xc9, 0xff, 0xff, 0xff, 0xff, 0x72], [0xd4, 0x72, 0x00], [0xd6, 0xff, 0, 0, 0, 0],
  [0xc1], [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0], [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0],
  [0xdc, 0xff, 0xff], [0xde, 0xff, 0xff], [0xc7, 0xff, 0x01], [0xd8, 0x00]
]

/** 1-4 random edits: flip bits, overwrite, insert, delete, truncate, duplicate, splice in nasty msgpack. */
export function mutateBytes (rng: Rng, input: Uint8Array): Uint8Array {
  let b = Array.from(input)
  const edits = 1 + rng.int(4)
  for (let e = 0; e < edits; e++) {
    const at = rng.int(b.length + 1)
    switch (rng.int(7)) {
      case 0: if (b.length > 0) b[at % b.length] ^= 1 << rng.int(8); break
      case 1: if (b.length > 0) b[at % b.length] = rng.int(256); break
      case 2: b.splice(at, 0, ...rng.bytes(1 + rng.int(8))); break
      case 3: b.splice(at, 1 + rng.int(8)); break
      case 4: b = b.slice(0, at); break
      case 5: b.splice(at, 0, ...b.slice(at, at + 1 + rng.int(16))); break
      default: b.splice(at, rng.int(3), ...rng.pick(NASTY_MSGPACK))
    }
  }
  return Uint8Array.from(b)
}

/** A value of a random type, some of them extreme. */
export function weirdValue (rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 12 : 16)) {
    case 0: return null
    case 1: return rng.chance(0.5)
    case 2: return -1 - rng.int(1000)
    case 3: return rng.pick([Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER, 2 ** 31, 2 ** 32, -0, 0.5, 1e308, -1e308])
    case 4: return rng.pick([NaN, Infinity, -Infinity])
    case 5: return rng.string(16)
    case 6: return 'x'.repeat(rng.pick([257, 1025, 8193, 70_000]))
    case 7: return rng.bytes(rng.int(64))
    case 8: return rng.pick([2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n])
    case 9: return rng.int(1_000_000)
    case 10: return new Date(rng.int(2 ** 31) * 1000)
    case 11: return rng.pick(['hello', 'pull', 'results', 'bye', 'proof', 'welcome', 'jobs', 'side', 'done', 'refused', 'challenge', '__proto__', 'constructor'])
    case 12: return Array.from({ length: rng.int(6) }, () => weirdValue(rng, depth + 1))
    case 13: return Object.fromEntries(Array.from({ length: rng.int(5) }, () => [rng.pick(['t', 'v', 'worker', 'jobs', 'results', 'credits', 'name', 'x', '__proto__']), weirdValue(rng, depth + 1)]))
    case 14: { let v: unknown = 1; for (let i = 0; i < 40 + rng.int(200); i++) v = [v]; return v }
    default: return new Array(rng.pick([0, 1, 1025, 20_000])).fill(0)
  }
}

/** Replaces, removes, adds or reshapes one random node of a decoded message (a structural mutation). */
export function mutateValue (rng: Rng, value: unknown): unknown {
  const copy = structuredClone(value)
  const holders: Array<Record<string, unknown> | unknown[]> = []
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array || v == null || typeof v !== 'object') return
    holders.push(v as Record<string, unknown> | unknown[])
    for (const child of Object.values(v)) walk(child)
  }
  walk(copy)
  if (holders.length === 0 || rng.chance(0.05)) return weirdValue(rng)
  const holder = rng.pick(holders)
  const keys = Object.keys(holder)
  const key = keys.length > 0 ? rng.pick(keys) : '0'
  const h = holder as Record<string, unknown>
  switch (rng.int(6)) {
    case 0: delete h[key]; break
    case 1: h[rng.chance(0.5) ? rng.string(6) : String(keys.length + rng.int(3))] = weirdValue(rng); break
    case 2: if (Array.isArray(holder)) holder.length = rng.int(holder.length + 3); else h[key] = weirdValue(rng); break
    default: h[key] = weirdValue(rng)
  }
  return copy
}

export interface FuzzFrame {
  /** What goes on the wire (length prefix included). */
  readonly wire: Uint8Array
  /** True if the receiver decodes it and its guard accepts it. */
  readonly accepted: boolean
  /** The decoded message when accepted. */
  readonly value?: unknown
  readonly kind: string
}

function classify (body: Uint8Array, guard: (v: unknown) => boolean, kind: string): FuzzFrame {
  let value: unknown
  try {
    value = decodeValue(body)
  } catch {
    return { wire: encodeFrame(body), accepted: false, kind }
  }
  let ok = false
  try { ok = guard(value) } catch { ok = false }
  return ok ? { wire: encodeFrame(body), accepted: true, value, kind } : { wire: encodeFrame(body), accepted: false, kind }
}

function encodeLoose (value: unknown): Uint8Array {
  try {
    return encodeValue(value)
  } catch {
    return encodeValue(null)
  }
}

/**
 * One hostile frame built from `seeds` (real protocol messages): random bytes, random msgpack, byte or
 * structure mutations of a seed, an oversized or malformed length prefix, or an empty frame.
 */
export function fuzzFrame (rng: Rng, seeds: readonly unknown[], guard: (v: unknown) => boolean): FuzzFrame {
  const kind = rng.int(100)
  if (kind < 8) return classify(rng.bytes(rng.int(200)), guard, 'random bytes')
  if (kind < 16) return classify(encodeLoose(weirdValue(rng)), guard, 'random msgpack')
  if (kind < 50) return classify(mutateBytes(rng, encodeValue(rng.pick(seeds))), guard, 'byte mutation')
  if (kind < 92) return classify(encodeLoose(mutateValue(rng, rng.pick(seeds))), guard, 'structure mutation')
  if (kind < 95) return { wire: Uint8Array.from([...lengthPrefix(rng.pick([33 * 1024 * 1024, 2 ** 31, 2 ** 40, 2 ** 53 - 1])), ...rng.bytes(rng.int(32))]), accepted: false, kind: 'oversized length prefix' }
  if (kind < 98) return { wire: Uint8Array.from([...new Array(9 + rng.int(4)).fill(0x80 | rng.int(128)), 1]), accepted: false, kind: 'malformed varint' }
  return classify(new Uint8Array(0), guard, 'empty frame')
}

/** A frame the guard accepts: a valid seed with valid-but-hostile values from `valid`, else a mutation that passes. */
export function acceptedFrame (rng: Rng, seeds: readonly unknown[], guard: (v: unknown) => boolean, valid: (rng: Rng) => unknown): FuzzFrame {
  for (let tries = 0; tries < 20; tries++) {
    const f = rng.chance(0.3) ? fuzzFrame(rng, seeds, guard) : classify(encodeLoose(valid(rng)), guard, 'valid message, hostile values')
    if (f.accepted) return f
  }
  return classify(encodeValue(rng.pick(seeds)), guard, 'seed')
}

/** A frame the guard rejects (or that breaks framing): what must end the stream. */
export function rejectedFrame (rng: Rng, seeds: readonly unknown[], guard: (v: unknown) => boolean): FuzzFrame {
  for (let tries = 0; tries < 50; tries++) {
    const f = fuzzFrame(rng, seeds, guard)
    if (!f.accepted) return f
  }
  return { wire: encodeFrame(Uint8Array.of(0xc1)), accepted: false, kind: 'reserved msgpack byte' }
}

/** Splits bytes into random chunks (so the decoder meets frames across every kind of boundary). */
export function randomChunks (rng: Rng, bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let at = 0
  while (at < bytes.length) {
    const n = rng.chance(0.5) ? bytes.length - at : 1 + rng.int(Math.min(64, bytes.length - at))
    out.push(bytes.subarray(at, at + n))
    at += n
  }
  return out
}

/** VmRSS of a process in bytes (Linux /proc). */
export async function rssOf (pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const m = status.match(/VmRSS:\s+(\d+) kB/)
  if (m == null) throw new Error(`no VmRSS for ${pid}`)
  return Number(m[1]) * 1024
}
