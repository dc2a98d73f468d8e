/**
 * Where a chained stage before the tail puts its outputs for one item (chain-chunk.ts): the packed layout in a
 * buffer reused item after item, so that the outputs between two chained functions are never objects. Read
 * back with `port`, `start` and `size` per output, walking from 0 with `next`.
 */
import type { PackedSink } from '../abi/host.js'
import { packedOutputBytes, writePackedOutput } from '../protocol/packed-outputs.js'

export class PackedScratch implements PackedSink {
  bytes = new Uint8Array(256)
  /** Bytes in use. */
  length = 0
  /** Outputs since `reset`. */
  count = 0

  reset (): void {
    this.length = 0
    this.count = 0
  }

  append (port: number, src: Uint8Array, at: number, len: number): void {
    const size = packedOutputBytes(len)
    if (this.length + size > this.bytes.length) {
      let capacity = this.bytes.length * 2
      while (capacity < this.length + size) capacity *= 2
      const next = new Uint8Array(capacity)
      next.set(this.bytes.subarray(0, this.length))
      this.bytes = next
    }
    this.length = writePackedOutput(this.bytes, this.length, port, src, at, len)
    this.count++
  }

  /** The port of the output at `pos`. */
  port (pos: number): number {
    return this.bytes[pos]
  }

  /** Where the bytes of the output at `pos` start. */
  start (pos: number): number {
    return pos + packedOutputBytes(0)
  }

  /** How many bytes the output at `pos` has. */
  size (pos: number): number {
    const b = this.bytes
    return (b[pos + 1] | (b[pos + 2] << 8) | (b[pos + 3] << 16) | (b[pos + 4] << 24)) >>> 0
  }

  /** Where the output after the one at `pos` starts. */
  next (pos: number): number {
    return this.start(pos) + this.size(pos)
  }
}
