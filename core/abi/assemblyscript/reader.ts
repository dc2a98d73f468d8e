/**
 * msgpack decoder over raw memory (the input buffer the host wrote). Accepts every form the encoder writes,
 * plus float32 and non-minimal forms; strings, bytes and containers are copied out, so values stay valid
 * after the input buffer is freed. Malformed input ends the call through `fail`.
 */
import { fail } from "./abi";
import { Value } from "./value";

/** Nesting deeper than this is refused instead of overflowing the stack. */
const MAX_DEPTH: i32 = 512;

export class Reader {
  private pos: usize;
  private end: usize;

  constructor(ptr: usize, len: usize) {
    this.pos = ptr;
    this.end = ptr + len;
  }

  /** True when every byte was read. */
  get done(): bool {
    return this.pos >= this.end;
  }

  /** Fails the call unless every byte was read (one input is exactly one msgpack value). */
  finish(): void {
    if (this.pos != this.end) fail("msgpack: " + (this.end - this.pos).toString() + " unexpected bytes after the value");
  }

  private take(n: usize): usize {
    let at = this.pos;
    if (n > this.end - at) fail("msgpack: input ends in the middle of a value");
    this.pos = at + n;
    return at;
  }

  private u8(): u32 {
    return <u32>load<u8>(this.take(1));
  }

  private u16(): u32 {
    return <u32>bswap<u16>(load<u16>(this.take(2)));
  }

  private u32(): u32 {
    return bswap<u32>(load<u32>(this.take(4)));
  }

  private u64(): u64 {
    return bswap<u64>(load<u64>(this.take(8)));
  }

  /** The next value's first byte, without consuming it. */
  peekTag(): u32 {
    if (this.pos >= this.end) fail("msgpack: input ends where a value was expected");
    return <u32>load<u8>(this.pos);
  }

  /** Reads one value of any kind. */
  value(): Value {
    return this.valueAt(0);
  }

  private valueAt(depth: i32): Value {
    if (depth > MAX_DEPTH) fail("msgpack: nesting deeper than " + MAX_DEPTH.toString());
    let tag = this.peekTag();
    if (tag <= 0x7f || tag >= 0xe0 || (tag >= 0xcc && tag <= 0xd3)) return Value.int(this.int());
    if (tag == 0xca || tag == 0xcb) return Value.float(this.float());
    if (tag == 0xc0) { this.pos++; return Value.nil(); }
    if (tag == 0xc2 || tag == 0xc3) { this.pos++; return Value.bool(tag == 0xc3); }
    if ((tag & 0xe0) == 0xa0 || (tag >= 0xd9 && tag <= 0xdb)) return Value.string(this.string());
    if (tag >= 0xc4 && tag <= 0xc6) return Value.bytes(this.bytes());
    if ((tag & 0xf0) == 0x90 || tag == 0xdc || tag == 0xdd) {
      let n = this.arrayHeader();
      let items = new Array<Value>(n);
      for (let i = 0; i < n; i++) unchecked(items[i] = this.valueAt(depth + 1));
      return Value.array(items);
    }
    if ((tag & 0xf0) == 0x80 || tag == 0xde || tag == 0xdf) {
      let n = this.mapHeader();
      let keys = new Array<string>(n);
      let values = new Array<Value>(n);
      for (let i = 0; i < n; i++) {
        if (!this.isString()) fail("msgpack: map keys must be strings (got " + describeTag(this.peekTag()) + ")");
        unchecked(keys[i] = this.string());
        unchecked(values[i] = this.valueAt(depth + 1));
      }
      return Value.mapOf(keys, values);
    }
    fail("msgpack: cannot decode " + describeTag(tag));
    return Value.nil();
  }

  isInt(): bool {
    let tag = this.peekTag();
    return tag <= 0x7f || tag >= 0xe0 || (tag >= 0xcc && tag <= 0xd3);
  }

  isString(): bool {
    let tag = this.peekTag();
    return (tag & 0xe0) == 0xa0 || (tag >= 0xd9 && tag <= 0xdb);
  }

  isNil(): bool {
    return this.peekTag() == 0xc0;
  }

  /** An integer; a float holding an exact integer is accepted too (JavaScript hosts send large integers that way). */
  int(): i64 {
    let tag = this.u8();
    if (tag <= 0x7f) return <i64>tag;
    if (tag >= 0xe0) return <i64><i8>tag;
    switch (tag) {
      case 0xcc: return <i64>this.u8();
      case 0xcd: return <i64>this.u16();
      case 0xce: return <i64>this.u32();
      case 0xcf: {
        let v = this.u64();
        if (v > <u64>i64.MAX_VALUE) fail("msgpack: unsigned integer " + v.toString() + " does not fit in i64");
        return <i64>v;
      }
      case 0xd0: return <i64><i8>this.u8();
      case 0xd1: return <i64><i16>this.u16();
      case 0xd2: return <i64><i32>this.u32();
      case 0xd3: return <i64>this.u64();
      case 0xca:
      case 0xcb: {
        this.pos--;
        let f = this.float();
        // 2^63 itself is out of range; every f64 below it converts exactly.
        if (f == Math.trunc(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0) return <i64>f;
        fail("msgpack: expected an integer, got the float " + f.toString());
      }
    }
    fail("msgpack: expected an integer, got " + describeTag(tag));
    return 0;
  }

  /** A float; integers are converted. */
  float(): f64 {
    let tag = this.peekTag();
    if (tag == 0xcb) { this.pos++; return reinterpret<f64>(this.u64()); }
    if (tag == 0xca) { this.pos++; return <f64>reinterpret<f32>(this.u32()); }
    if (this.isInt()) return <f64>this.int();
    fail("msgpack: expected a number, got " + describeTag(tag));
    return 0;
  }

  bool(): bool {
    let tag = this.u8();
    if (tag == 0xc2) return false;
    if (tag == 0xc3) return true;
    fail("msgpack: expected a bool, got " + describeTag(tag));
    return false;
  }

  /** Length in bytes of the next string, with the position moved to its first byte. */
  stringHeader(): usize {
    let tag = this.u8();
    if ((tag & 0xe0) == 0xa0) return <usize>(tag & 0x1f);
    if (tag == 0xd9) return <usize>this.u8();
    if (tag == 0xda) return <usize>this.u16();
    if (tag == 0xdb) return <usize>this.u32();
    fail("msgpack: expected a string, got " + describeTag(tag));
    return 0;
  }

  string(): string {
    let n = this.stringHeader();
    return String.UTF8.decodeUnsafe(this.take(n), n);
  }

  /** Length of the next bin, with the position moved to its first byte. */
  bytesHeader(): usize {
    let tag = this.u8();
    if (tag == 0xc4) return <usize>this.u8();
    if (tag == 0xc5) return <usize>this.u16();
    if (tag == 0xc6) return <usize>this.u32();
    fail("msgpack: expected bytes (bin), got " + describeTag(tag));
    return 0;
  }

  bytes(): Uint8Array {
    let n = this.bytesHeader();
    let out = new Uint8Array(<i32>n);
    memory.copy(out.dataStart, this.take(n), n);
    return out;
  }

  /** Number of items of the next array; read them next. */
  arrayHeader(): i32 {
    let tag = this.u8();
    if ((tag & 0xf0) == 0x90) return <i32>(tag & 0x0f);
    if (tag == 0xdc) return <i32>this.u16();
    if (tag == 0xdd) return this.count(this.u32());
    fail("msgpack: expected an array, got " + describeTag(tag));
    return 0;
  }

  /** Number of entries of the next map; read key/value pairs next. */
  mapHeader(): i32 {
    let tag = this.u8();
    if ((tag & 0xf0) == 0x80) return <i32>(tag & 0x0f);
    if (tag == 0xde) return <i32>this.u16();
    if (tag == 0xdf) return this.count(this.u32());
    fail("msgpack: expected a map, got " + describeTag(tag));
    return 0;
  }

  /** Skips one value of any kind. */
  skip(): void {
    this.value();
  }

  private count(n: u32): i32 {
    // Every item takes at least one byte: a larger count is malformed, and must not reach an allocation.
    if (<usize>n > this.end - this.pos) fail("msgpack: container of " + n.toString() + " items in a shorter input");
    return <i32>n;
  }
}

/** A readable name for a msgpack type byte, for error messages. */
export function describeTag(tag: u32): string {
  if (tag <= 0x7f || tag >= 0xe0 || (tag >= 0xcc && tag <= 0xd3)) return "an integer";
  if (tag == 0xca || tag == 0xcb) return "a float";
  if (tag == 0xc0) return "nil";
  if (tag == 0xc2 || tag == 0xc3) return "a bool";
  if ((tag & 0xe0) == 0xa0 || (tag >= 0xd9 && tag <= 0xdb)) return "a string";
  if (tag >= 0xc4 && tag <= 0xc6) return "bytes";
  if ((tag & 0xf0) == 0x90 || tag == 0xdc || tag == 0xdd) return "an array";
  if ((tag & 0xf0) == 0x80 || tag == 0xde || tag == 0xdf) return "a map";
  if (tag >= 0xd4 && tag <= 0xd8 || tag >= 0xc7 && tag <= 0xc9) return "an ext value";
  return "the reserved byte 0x" + tag.toString(16);
}
