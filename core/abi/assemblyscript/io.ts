/**
 * What a function author calls: decode the input (`input`, or a fast path such as `inputInt`) and emit
 * outputs (`emit`, or a fast path such as `emitInt`). The fast paths for scalars allocate nothing.
 */
import { emitRaw, fail } from "./abi";
import { Reader } from "./reader";
import { Kind, Value } from "./value";
import { Writer } from "./writer";

/** The shared output buffer; emptied by every emit, and shrunk again after an unusually large output. */
const out = new Writer(256);
const SHRINK_ABOVE: usize = 64 * 1024;
/** Static scratch for scalar outputs (tag + 8 bytes), so `emitInt` and friends never touch the heap. */
const scratch: usize = memory.data(16);

/** Decodes the call's input (the `ptr, len` the function received) as a Value. */
export function input(ptr: usize, len: usize): Value {
  let r = new Reader(ptr, len);
  let v = r.value();
  r.finish();
  return v;
}

/** A Reader over the call's input, for decoding field by field without building Values. */
export function inputReader(ptr: usize, len: usize): Reader {
  return new Reader(ptr, len);
}

/** The input as an integer (no allocation for integer input). */
export function inputInt(ptr: usize, len: usize): i64 {
  let tag = len > 0 ? <u32>load<u8>(ptr) : 0xc1;
  if (tag <= 0x7f && len == 1) return <i64>tag; // positive fixint: the common case, decoded inline
  let r = new Reader(ptr, len);
  let v = r.int();
  r.finish();
  return v;
}

export function inputFloat(ptr: usize, len: usize): f64 {
  let r = new Reader(ptr, len);
  let v = r.float();
  r.finish();
  return v;
}

export function inputString(ptr: usize, len: usize): string {
  let r = new Reader(ptr, len);
  let v = r.string();
  r.finish();
  return v;
}

export function inputBytes(ptr: usize, len: usize): Uint8Array {
  let r = new Reader(ptr, len);
  let v = r.bytes();
  r.finish();
  return v;
}

/** Emits `v` on output `port` (0 = the stage's first output, usually `out`). */
export function emit(port: i32, v: Value): void {
  writeValue(out.reset(), v);
  out.emit(port);
  out.shrink(SHRINK_ABOVE);
}

/** The shared Writer, emptied, for writing one output by hand; finish with `.emit(port)`. */
export function output(): Writer {
  return out.reset();
}

export function emitInt(port: i32, v: i64): void {
  if (<u64>v < 0x80) {
    store<u8>(scratch, <u8>v);
    emitRaw(port, scratch, 1);
    return;
  }
  emitWriter(port, out.reset().int(v));
}

export function emitFloat(port: i32, v: f64): void {
  store<u8>(scratch, 0xcb);
  store<u64>(scratch + 1, bswap<u64>(reinterpret<u64>(v)));
  emitRaw(port, scratch, 9);
}

export function emitBool(port: i32, v: bool): void {
  store<u8>(scratch, v ? 0xc3 : 0xc2);
  emitRaw(port, scratch, 1);
}

export function emitNil(port: i32): void {
  store<u8>(scratch, 0xc0);
  emitRaw(port, scratch, 1);
}

export function emitString(port: i32, s: string): void {
  emitWriter(port, out.reset().string(s));
}

export function emitBytes(port: i32, b: Uint8Array): void {
  emitWriter(port, out.reset().bytes(b));
}

function emitWriter(port: i32, w: Writer): void {
  w.emit(port);
  w.shrink(SHRINK_ABOVE);
}

/** Encodes `v` (any depth) with `w`. */
export function writeValue(w: Writer, v: Value): void {
  switch (v.kind) {
    case Kind.Nil: w.nil(); break;
    case Kind.Bool: w.bool(v.asBool()); break;
    case Kind.Int: w.int(v.asInt()); break;
    case Kind.Float: w.float(v.asFloat()); break;
    case Kind.String: w.string(v.asString()); break;
    case Kind.Bytes: w.bytes(v.asBytes()); break;
    case Kind.Array: {
      let items = v.asArray();
      let n = items.length;
      w.array(n);
      for (let i = 0; i < n; i++) writeValue(w, unchecked(items[i]));
      break;
    }
    case Kind.Map: {
      let keys = v.keys();
      let values = v.values();
      let n = keys.length;
      w.map(n);
      for (let i = 0; i < n; i++) {
        w.string(unchecked(keys[i]));
        writeValue(w, unchecked(values[i]));
      }
      break;
    }
    default: fail("writeValue: unknown kind");
  }
}
