/**
 * The flat binary layout of journal entries (journal-codec.ts): big-endian numbers, length-prefixed bytes and
 * names, each read checked against the entry's end so a damaged entry throws JournalError, never reads past it.
 */
import { JournalError } from './journal.js'

const NO_STRING = 0xffff

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder('utf-8', { fatal: true })

export class Writer {
  readonly bytes: Uint8Array
  private readonly view: DataView
  private at = 0

  constructor (size: number) {
    this.bytes = new Uint8Array(size)
    this.view = new DataView(this.bytes.buffer)
  }

  u8 (n: number): void { this.view.setUint8(this.at, n); this.at += 1 }
  // big-endian by hand: DataView calls cost more than the stores (a chunk writes two per output)
  u16 (n: number): void { const b = this.bytes; b[this.at] = n >>> 8; b[this.at + 1] = n; this.at += 2 }
  u32 (n: number): void { const b = this.bytes; const at = this.at; b[at] = n >>> 24; b[at + 1] = n >>> 16; b[at + 2] = n >>> 8; b[at + 3] = n; this.at = at + 4 }
  f64 (n: number): void { this.view.setFloat64(this.at, n); this.at += 8 }
  raw (b: Uint8Array): void {
    // most items are a few bytes (a msgpack number): a plain loop beats set()'s call overhead for those
    if (b.length <= 16) {
      const out = this.bytes
      let at = this.at
      for (let i = 0; i < b.length; i++) out[at++] = b[i]
      this.at = at
      return
    }
    this.bytes.set(b, this.at)
    this.at += b.length
  }
  bytesField (b: Uint8Array): void { this.u32(b.length); this.raw(b) }
  str (s: Uint8Array | undefined): void {
    if (s == null) { this.u16(NO_STRING); return }
    this.u16(s.length)
    this.raw(s)
  }
}

export class Reader {
  private readonly view: DataView

  constructor (private readonly bytes: Uint8Array, public at = 0) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get done (): boolean {
    return this.at >= this.bytes.length
  }

  private need (n: number): void {
    if (this.at + n > this.bytes.length) throw new JournalError('journal entry is cut short')
  }

  u16 (): number { this.need(2); const n = this.view.getUint16(this.at); this.at += 2; return n }
  u32 (): number { this.need(4); const n = this.view.getUint32(this.at); this.at += 4; return n }
  f64 (): number { this.need(8); const n = this.view.getFloat64(this.at); this.at += 8; return n }
  raw (n: number): Uint8Array { this.need(n); const b = this.bytes.subarray(this.at, this.at + n); this.at += n; return b }
  bytesField (): Uint8Array { return this.raw(this.u32()) }
  /** A name's raw bytes (no decoding), or undefined for none. */
  strBytes (): Uint8Array | undefined {
    const n = this.u16()
    return n === NO_STRING ? undefined : this.raw(n)
  }

  str (): string | undefined {
    const n = this.u16()
    if (n === NO_STRING) return undefined
    try {
      return fromUtf8.decode(this.raw(n))
    } catch {
      throw new JournalError('journal entry has a malformed name')
    }
  }

  end (): void {
    if (this.at !== this.bytes.length) throw new JournalError('journal entry has trailing bytes')
  }
}

/** Encoded names, cached: a run has few stage, sink and worker names but writes them per job. */
const names = new Map<string, Uint8Array>()
export function nameBytes (name: string): Uint8Array {
  let b = names.get(name)
  if (b == null) {
    b = utf8.encode(name)
    if (b.length >= NO_STRING) throw new JournalError(`name too long for the journal: ${name.slice(0, 40)}…`)
    if (names.size < 10_000) names.set(name, b)
  }
  return b
}
