/**
 * A msgpack value: nil, bool, int (i64), float (f64), string, bytes, array, or map with string keys.
 * Build with the static constructors (`Value.int(3)`, `Value.array([Value.string("a"), Value.nil()])`),
 * read with the `as…` accessors, which end the call with a clear message when the kind is not the expected one.
 */
import { fail } from "./abi";

export enum Kind { Nil, Bool, Int, Float, String, Bytes, Array, Map }

export class Value {
  protected constructor(readonly kind: Kind) {}

  static nil(): Value { return NIL; }
  static bool(v: bool): Value { return v ? TRUE : FALSE; }
  static int(v: i64): Value { return new IntValue(v); }
  static float(v: f64): Value { return new FloatValue(v); }
  static string(v: string): Value { return new StringValue(v); }
  static bytes(v: Uint8Array): Value { return new BytesValue(v); }
  static array(items: Value[]): Value { return new ArrayValue(items); }
  /** An empty map; add entries with `set`. */
  static map(): Value { return new MapValue([], []); }
  /** A map from parallel arrays of keys and values (same length). */
  static mapOf(keys: string[], values: Value[]): Value {
    if (keys.length != values.length) fail("Value.mapOf: " + keys.length.toString() + " keys for " + values.length.toString() + " values");
    return new MapValue(keys, values);
  }

  get isNil(): bool { return this.kind == Kind.Nil; }
  get isBool(): bool { return this.kind == Kind.Bool; }
  get isInt(): bool { return this.kind == Kind.Int; }
  get isFloat(): bool { return this.kind == Kind.Float; }
  get isString(): bool { return this.kind == Kind.String; }
  get isBytes(): bool { return this.kind == Kind.Bytes; }
  get isArray(): bool { return this.kind == Kind.Array; }
  get isMap(): bool { return this.kind == Kind.Map; }

  asBool(): bool {
    this.expect(Kind.Bool);
    return this === TRUE;
  }

  /** The integer; a float holding an exact integer is accepted (JavaScript senders may encode 2^40 as a float). */
  asInt(): i64 {
    if (this.kind == Kind.Int) return changetype<IntValue>(this).value;
    if (this.kind == Kind.Float) {
      let f = changetype<FloatValue>(this).value;
      if (f == Math.trunc(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0) return <i64>f;
    }
    this.expect(Kind.Int);
    return 0;
  }

  /** The number as f64 (integers are converted). */
  asFloat(): f64 {
    if (this.kind == Kind.Float) return changetype<FloatValue>(this).value;
    if (this.kind == Kind.Int) return <f64>changetype<IntValue>(this).value;
    this.expect(Kind.Float);
    return 0;
  }

  asString(): string {
    this.expect(Kind.String);
    return changetype<StringValue>(this).value;
  }

  asBytes(): Uint8Array {
    this.expect(Kind.Bytes);
    return changetype<BytesValue>(this).value;
  }

  /** The items of an array (the live list: pushing to it changes the value). */
  asArray(): Value[] {
    this.expect(Kind.Array);
    return changetype<ArrayValue>(this).items;
  }

  /** Keys of a map, in order. */
  keys(): string[] {
    this.expect(Kind.Map);
    return changetype<MapValue>(this).mapKeys;
  }

  /** Values of a map, in the order of `keys()`. */
  values(): Value[] {
    this.expect(Kind.Map);
    return changetype<MapValue>(this).mapValues;
  }

  /** Number of items (array), entries (map), bytes (bytes) or UTF-16 units (string). */
  get length(): i32 {
    switch (this.kind) {
      case Kind.Array: return changetype<ArrayValue>(this).items.length;
      case Kind.Map: return changetype<MapValue>(this).mapKeys.length;
      case Kind.Bytes: return changetype<BytesValue>(this).value.length;
      case Kind.String: return changetype<StringValue>(this).value.length;
    }
    fail("Value.length: " + kindName(this.kind) + " has no length");
    return 0;
  }

  /** Item `i` of an array; fails when out of range. */
  at(i: i32): Value {
    let items = this.asArray();
    if (i < 0 || i >= items.length) fail("Value.at(" + i.toString() + "): the array has " + items.length.toString() + " items");
    return unchecked(items[i]);
  }

  /** Appends to an array; returns this. */
  push(v: Value): Value {
    this.asArray().push(v);
    return this;
  }

  /** The value under `key` in a map, or null (linear search: maps here are small records). */
  get(key: string): Value | null {
    let keys = this.keys();
    let values = changetype<MapValue>(this).mapValues;
    for (let i = 0; i < keys.length; i++) if (unchecked(keys[i]) == key) return unchecked(values[i]);
    return null;
  }

  /** Like `get`, but fails when the key is missing. */
  field(key: string): Value {
    let v = this.get(key);
    if (v === null) fail("Value.field: the map has no key \"" + key + "\"");
    return changetype<Value>(v);
  }

  /** Sets `key` in a map (replacing an existing entry); returns this. */
  set(key: string, v: Value): Value {
    let keys = this.keys();
    let values = changetype<MapValue>(this).mapValues;
    for (let i = 0; i < keys.length; i++) {
      if (unchecked(keys[i]) == key) {
        unchecked(values[i] = v);
        return this;
      }
    }
    keys.push(key);
    values.push(v);
    return this;
  }

  private expect(kind: Kind): void {
    if (this.kind != kind) fail("expected " + kindName(kind) + ", got " + kindName(this.kind));
  }
}

class IntValue extends Value {
  constructor(readonly value: i64) { super(Kind.Int); }
}
class FloatValue extends Value {
  constructor(readonly value: f64) { super(Kind.Float); }
}
class StringValue extends Value {
  constructor(readonly value: string) { super(Kind.String); }
}
class BytesValue extends Value {
  constructor(readonly value: Uint8Array) { super(Kind.Bytes); }
}
class ArrayValue extends Value {
  constructor(readonly items: Value[]) { super(Kind.Array); }
}
class MapValue extends Value {
  constructor(readonly mapKeys: string[], readonly mapValues: Value[]) { super(Kind.Map); }
}
class SingletonValue extends Value {
  constructor(kind: Kind) { super(kind); }
}

const NIL: Value = new SingletonValue(Kind.Nil);
const TRUE: Value = new SingletonValue(Kind.Bool);
const FALSE: Value = new SingletonValue(Kind.Bool);

/** Name of a kind, for error messages. */
export function kindName(kind: Kind): string {
  switch (kind) {
    case Kind.Nil: return "nil";
    case Kind.Bool: return "a bool";
    case Kind.Int: return "an integer";
    case Kind.Float: return "a float";
    case Kind.String: return "a string";
    case Kind.Bytes: return "bytes";
    case Kind.Array: return "an array";
    case Kind.Map: return "a map";
  }
  return "an unknown kind";
}
