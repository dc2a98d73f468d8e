/**
 * msgpack encoder writing the smallest form of every value (the forms msgpack implementations agree on):
 * fixint / uint8..64 / int8..64, fixstr / str8..32, bin8..32, fixarray / array16/32, fixmap / map16/32, float64.
 */
import { emitRaw } from "./abi";

/** A growable msgpack output buffer. `emit(port)` sends what was written as one output and starts over. */
export class Writer {
  private buffer: ArrayBuffer;
  private start: usize;
  private capacity: usize;
  /** Bytes written so far. */
  length: usize = 0;

  constructor(initialCapacity: i32 = 256) {
    this.buffer = new ArrayBuffer(initialCapacity);
    this.start = changetype<usize>(this.buffer);
    this.capacity = <usize>initialCapacity;
  }

  /** Forgets what was written. */
  reset(): Writer {
    this.length = 0;
    return this;
  }

  /** Sends the bytes written so far as one output on `port`, then resets. */
  emit(port: i32): void {
    emitRaw(port, this.start, this.length);
    this.length = 0;
  }

  /** Address of the first byte (valid until the next write). */
  get dataStart(): usize {
    return this.start;
  }

  /** Drops a buffer that grew past `maxCapacity`, so one huge output does not pin memory forever. */
  shrink(maxCapacity: usize): void {
    if (this.capacity <= maxCapacity) return;
    this.buffer = new ArrayBuffer(256);
    this.start = changetype<usize>(this.buffer);
    this.capacity = 256;
    this.length = 0;
  }

  private reserve(n: usize): usize {
    let at = this.length;
    let need = at + n;
    if (need > this.capacity) {
      let capacity = this.capacity << 1;
      if (capacity < need) capacity = need;
      let next = new ArrayBuffer(<i32>capacity);
      memory.copy(changetype<usize>(next), this.start, at);
      this.buffer = next;
      this.start = changetype<usize>(next);
      this.capacity = capacity;
    }
    this.length = need;
    return this.start + at;
  }

  nil(): Writer {
    store<u8>(this.reserve(1), 0xc0);
    return this;
  }

  bool(v: bool): Writer {
    store<u8>(this.reserve(1), v ? 0xc3 : 0xc2);
    return this;
  }

  int(v: i64): Writer {
    if (v >= 0) return this.uint(<u64>v);
    let p: usize;
    if (v >= -32) {
      store<u8>(this.reserve(1), <u8>v);
    } else if (v >= -128) {
      p = this.reserve(2);
      store<u8>(p, 0xd0);
      store<u8>(p, <u8>v, 1);
    } else if (v >= -32768) {
      p = this.reserve(3);
      store<u8>(p, 0xd1);
      store<u16>(p + 1, bswap<u16>(<u16>v));
    } else if (v >= -2147483648) {
      p = this.reserve(5);
      store<u8>(p, 0xd2);
      store<u32>(p + 1, bswap<u32>(<u32>v));
    } else {
      p = this.reserve(9);
      store<u8>(p, 0xd3);
      store<u64>(p + 1, bswap<u64>(<u64>v));
    }
    return this;
  }

  uint(v: u64): Writer {
    let p: usize;
    if (v < 0x80) {
      store<u8>(this.reserve(1), <u8>v);
    } else if (v <= 0xff) {
      p = this.reserve(2);
      store<u8>(p, 0xcc);
      store<u8>(p, <u8>v, 1);
    } else if (v <= 0xffff) {
      p = this.reserve(3);
      store<u8>(p, 0xcd);
      store<u16>(p + 1, bswap<u16>(<u16>v));
    } else if (v <= 0xffffffff) {
      p = this.reserve(5);
      store<u8>(p, 0xce);
      store<u32>(p + 1, bswap<u32>(<u32>v));
    } else {
      p = this.reserve(9);
      store<u8>(p, 0xcf);
      store<u64>(p + 1, bswap<u64>(v));
    }
    return this;
  }

  float(v: f64): Writer {
    let p = this.reserve(9);
    store<u8>(p, 0xcb);
    store<u64>(p + 1, bswap<u64>(reinterpret<u64>(v)));
    return this;
  }

  string(s: string): Writer {
    let n = <usize>String.UTF8.byteLength(s);
    this.header(n, 0xa0, 31, 0xd9, 0xda, 0xdb);
    let p = this.reserve(n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, p);
    return this;
  }

  /** Writes `len` raw bytes at `ptr` as a msgpack bin. */
  binRaw(ptr: usize, len: usize): Writer {
    this.header(len, 0, 0, 0xc4, 0xc5, 0xc6);
    memory.copy(this.reserve(len), ptr, len);
    return this;
  }

  bytes(b: Uint8Array): Writer {
    return this.binRaw(b.dataStart, <usize>b.length);
  }

  /** Starts an array of `n` items; write the `n` items next. */
  array(n: i32): Writer {
    this.header(<usize>n, 0x90, 15, 0, 0xdc, 0xdd);
    return this;
  }

  /** Starts a map of `n` entries; write `n` key/value pairs next (keys as strings). */
  map(n: i32): Writer {
    this.header(<usize>n, 0x80, 15, 0, 0xde, 0xdf);
    return this;
  }

  /**
   * A length header: the fix form (`fixTag | n` when n ≤ fixMax, if fixMax > 0), else the 8-bit form (if
   * tag8 != 0), else 16-bit, else 32-bit.
   */
  private header(n: usize, fixTag: u8, fixMax: usize, tag8: u8, tag16: u8, tag32: u8): void {
    let p: usize;
    if (fixMax > 0 && n <= fixMax) {
      store<u8>(this.reserve(1), fixTag | <u8>n);
    } else if (tag8 != 0 && n <= 0xff) {
      p = this.reserve(2);
      store<u8>(p, tag8);
      store<u8>(p, <u8>n, 1);
    } else if (n <= 0xffff) {
      p = this.reserve(3);
      store<u8>(p, tag16);
      store<u16>(p + 1, bswap<u16>(<u16>n));
    } else {
      p = this.reserve(5);
      store<u8>(p, tag32);
      store<u32>(p + 1, bswap<u32>(<u32>n));
    }
  }
}
