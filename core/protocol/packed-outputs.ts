/**
 * A chunk's outputs on the job stream as one byte string instead of a msgpack array of `[port, bytes]`
 * pairs: a chunk may carry tens of thousands of them, and this costs the coordinator one view per output to
 * read (no msgpack decoding per output). Layout, per output in order: port (u8), length (u32 LE), bytes.
 */
import type { Emitted } from '../abi/abi.js'
import type { JobOutcome } from '../jobs.js'

const HEADER = 5
/** Outputs this short are copied byte by byte (a subarray per output would cost more than the copy). */
const SHORT_COPY = 16

/**
 * Writes one output at `pos` of `target` (which has room for HEADER + len): `len` bytes of `src` from `at`
 * (a guest's memory, a scratch buffer). Returns the end. The one writer of the layout on the hot path
 * (the sandbox's outcome buffer, a chain's scratch between stages).
 */
export function writePackedOutput (target: Uint8Array, pos: number, port: number, src: Uint8Array, at: number, len: number): number {
  target[pos] = port
  target[pos + 1] = len
  target[pos + 2] = len >>> 8
  target[pos + 3] = len >>> 16
  target[pos + 4] = len >>> 24
  pos += HEADER
  if (len <= SHORT_COPY) {
    for (let k = 0; k < len; k++) target[pos + k] = src[at + k]
  } else target.set(src.subarray(at, at + len), pos)
  return pos + len
}

/** Bytes one output of `len` bytes takes packed. */
export function packedOutputBytes (len: number): number {
  return HEADER + len
}

export function packOutputs (outputs: readonly Emitted[]): Uint8Array {
  let size = 0
  for (const o of outputs) size += HEADER + o.bytes.length
  const packed = new Uint8Array(size)
  const view = new DataView(packed.buffer)
  let pos = 0
  for (const o of outputs) {
    packed[pos] = o.port
    view.setUint32(pos + 1, o.bytes.length, true)
    packed.set(o.bytes, pos + HEADER)
    pos += HEADER + o.bytes.length
  }
  return packed
}

/** Whether `packed` is a whole sequence of outputs (it came from the network): lengths end exactly at its end. */
export function isPackedOutputs (packed: Uint8Array): boolean {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength)
  let pos = 0
  while (pos < packed.length) {
    if (pos + HEADER > packed.length) return false
    pos += HEADER + view.getUint32(pos + 1, true)
  }
  return pos === packed.length
}

/** The outputs, as views into `packed` (no copies); `packed` must have passed isPackedOutputs. */
export function unpackOutputs (packed: Uint8Array): Emitted[] {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength)
  const outputs: Emitted[] = []
  let pos = 0
  while (pos < packed.length) {
    const len = view.getUint32(pos + 1, true)
    outputs.push({ port: packed[pos], bytes: packed.subarray(pos + HEADER, pos + HEADER + len) })
    pos += HEADER + len
  }
  return outputs
}

/**
 * A chunk's successful outcome holding its outputs packed (`packed` must have passed isPackedOutputs):
 * `outputs` unpacks them on first read, so whoever needs only the bytes never builds an object per output.
 */
export function chunkOutcome (id: number, packed: Uint8Array, ms: number, emitted?: readonly number[]): JobOutcome {
  let outputs: Emitted[] | undefined
  return {
    id,
    ok: true,
    packed,
    ms,
    ...(emitted !== undefined ? { emitted } : {}),
    get outputs () { return (outputs ??= unpackOutputs(packed)) }
  }
}

/**
 * How many outputs `packed` holds when every one is on a port below `ports`, else -1 (`packed` must have
 * passed isPackedOutputs): a chunk whose outputs all go where its stage has ports is routed as a block.
 */
export function countOnPorts (packed: Uint8Array, ports: number): number {
  let count = 0
  let pos = 0
  while (pos < packed.length) {
    if (packed[pos] >= ports) return -1
    pos += HEADER + ((packed[pos + 1] | packed[pos + 2] << 8 | packed[pos + 3] << 16 | packed[pos + 4] << 24) >>> 0)
    count++
  }
  return count
}
