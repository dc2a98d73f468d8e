/**
 * How items cross a WASI command's stdin and output fds (core/abi/README.md, "WASI commands"), per `io` mode:
 *
 * - `json`: stdin is the item as one line of JSON; each output line (`\n`-terminated, the last one may lack
 *   it; blank lines are skipped) is one JSON value.
 * - `msgpack`: stdin is the item's msgpack bytes; an output fd carries a stream of msgpack values.
 * - `bytes`: stdin is the item's raw bytes (the item must be a byte array or a string, sent as UTF-8); each
 *   output fd that was written gives one output, its whole content as a byte array.
 *
 * Output port k is fd 1 for k = 0 (stdout) and fd k + 2 for k ≥ 1 (port 1 = fd 3, port 2 = fd 4, …): fd 2
 * stays stderr. Outputs come port by port, in the order written within each port.
 */
import type { Emitted } from '../abi.js'
import { decodeValue, encodeValue } from '../../codec.js'
import { WasiIoError } from '../../errors.js'

export type WasiIo = 'json' | 'msgpack' | 'bytes'
export const WASI_IO_MODES: readonly WasiIo[] = ['json', 'msgpack', 'bytes']
export const DEFAULT_WASI_IO: WasiIo = 'json'

/** The fd that carries output port `port`. */
export function fdOfPort (port: number): number {
  return port === 0 ? 1 : port + 2
}

/** The output port an fd carries, or undefined for stdin/stderr. */
export function portOfFd (fd: number): number | undefined {
  if (fd === 1) return 0
  return fd >= 3 ? fd - 2 : undefined
}

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

/** The bytes a run reads on stdin for the msgpack-encoded `item`. */
export function stdinFor (io: WasiIo, item: Uint8Array): Uint8Array {
  switch (io) {
    case 'msgpack': return item
    case 'json': return utf8.encode(`${toJson(decodeValue(item))}\n`)
    case 'bytes': {
      const value = decodeValue(item)
      if (value instanceof Uint8Array) return value
      if (typeof value === 'string') return utf8.encode(value)
      throw new WasiIoError(`"io": "bytes" takes items that are byte arrays or strings, got ${kindOf(value)}`)
    }
  }
}

/** The outputs of a run from what it wrote on each port's fd (`written[port]`, undefined when never written). */
export function outputsFrom (io: WasiIo, written: ReadonlyArray<Uint8Array | undefined>): Emitted[] {
  const outputs: Emitted[] = []
  written.forEach((bytes, port) => {
    if (bytes === undefined) return
    switch (io) {
      case 'bytes':
        if (bytes.length > 0) outputs.push({ port, bytes: encodeValue(bytes) })
        break
      case 'msgpack':
        for (const value of splitMsgpack(bytes, port)) outputs.push({ port, bytes: value })
        break
      case 'json':
        jsonLines(bytes, port, value => { outputs.push({ port, bytes: encodeValue(value) }) })
        break
    }
  })
  return outputs
}

function jsonLines (bytes: Uint8Array, port: number, push: (value: unknown) => void): void {
  let text: string
  try {
    text = utf8Decoder.decode(bytes)
  } catch {
    throw new WasiIoError(`port ${port} (fd ${fdOfPort(port)}): "io": "json" output is not valid UTF-8`)
  }
  const lines = text.split('\n')
  lines.forEach((line, i) => {
    if (line.trim() === '') return
    try {
      push(JSON.parse(line))
    } catch (err) {
      const shown = line.length > 80 ? `${line.slice(0, 77)}…` : line
      throw new WasiIoError(`port ${port} (fd ${fdOfPort(port)}), line ${i + 1}: "io": "json" wants one JSON value per line, got ${JSON.stringify(shown)} (${(err as Error).message})`)
    }
  })
}

/** JSON text of a decoded msgpack value; integers beyond ±2^53 (bigint) are written exactly. */
export function toJson (value: unknown): string {
  if (value === null || value === undefined) return 'null'
  switch (typeof value) {
    case 'bigint': return value.toString()
    case 'number': return Number.isFinite(value) ? JSON.stringify(value) : 'null'
    case 'string':
    case 'boolean': return JSON.stringify(value)
    case 'object': {
      if (value instanceof Uint8Array) throw new WasiIoError('"io": "json" cannot carry byte arrays: use "io": "msgpack" (or "bytes")')
      if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`
      const fields = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)
      return `{${fields.join(',')}}`
    }
    default: throw new WasiIoError(`"io": "json" cannot carry ${typeof value} values`)
  }
}

function kindOf (value: unknown): string {
  if (value === null || value === undefined) return 'nil'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'a map' : `a ${typeof value}`
}

/** Splits a stream of msgpack values into one slice per value, checking each is complete and well-formed. */
export function splitMsgpack (bytes: Uint8Array, port: number): Uint8Array[] {
  const values: Uint8Array[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = 0
  const bad = (what: string): never => {
    throw new WasiIoError(`port ${port} (fd ${fdOfPort(port)}): "io": "msgpack" output ${what} at byte ${pos}`)
  }
  const need = (n: number): void => { if (pos + n > bytes.length) bad('ends in the middle of a value') }
  while (pos < bytes.length) {
    const start = pos
    let pending = 1 // values still to read in this top-level value (containers add their children)
    while (pending > 0) {
      pending--
      need(1)
      const t = bytes[pos++]
      if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) continue
      if (t >= 0x80 && t <= 0x8f) { pending += 2 * (t & 0x0f); continue }
      if (t >= 0x90 && t <= 0x9f) { pending += t & 0x0f; continue }
      if (t >= 0xa0 && t <= 0xbf) { need(t & 0x1f); pos += t & 0x1f; continue }
      let len = 0
      switch (t) {
        case 0xc4: case 0xd9: need(1); len = bytes[pos]; pos += 1; break // bin8, str8
        case 0xc5: case 0xda: need(2); len = view.getUint16(pos); pos += 2; break
        case 0xc6: case 0xdb: need(4); len = view.getUint32(pos); pos += 4; break
        case 0xca: len = 4; break
        case 0xcb: len = 8; break
        case 0xcc: case 0xd0: len = 1; break
        case 0xcd: case 0xd1: len = 2; break
        case 0xce: case 0xd2: len = 4; break
        case 0xcf: case 0xd3: len = 8; break
        case 0xdc: need(2); pending += view.getUint16(pos); pos += 2; break
        case 0xdd: need(4); pending += view.getUint32(pos); pos += 4; break
        case 0xde: need(2); pending += 2 * view.getUint16(pos); pos += 2; break
        case 0xdf: need(4); pending += 2 * view.getUint32(pos); pos += 4; break
        default: pos--; bad(t === 0xc1 ? 'has the never-used byte c1' : `has an extension type (${t.toString(16)}), which the ABI does not allow`)
      }
      need(len)
      pos += len
      if (pending > bytes.length) bad('announces more items than it has bytes')
    }
    values.push(bytes.slice(start, pos))
  }
  return values
}
