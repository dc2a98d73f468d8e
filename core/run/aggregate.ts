/**
 * Keyed aggregation state of one aggregate stage. Values are kept per key as msgpack bytes and folded by
 * combine jobs of up to FAN_IN values (the combine function is associative and commutative, so any grouping
 * gives the same result). When upstream work is finished the stage is finalised: remaining values are
 * combined until each key holds one value, then one `[key, value]` item per key is emitted.
 */
import { decodeValue } from '../codec.js'
import { describeBytes } from '../util/describe.js'
import { AggregateInputError, GridError } from '../errors.js'
import { arrayHeaderLength, packArray, writeArrayHeader } from '../util/msgpack-bytes.js'
import { skipValue } from '../util/msgpack-skip.js'

/** Values combined per job: large enough to amortise a job, small enough to spread a hot key over workers. */
export const FAN_IN = 64


interface KeyState {
  readonly keyBytes: Uint8Array
  readonly values: ValueRun
  combining: number
}

/**
 * A key's values waiting to be combined, back to back in one growing buffer: a pair's value is copied in
 * (no ArrayBuffer per value: a word count folds millions), and a group leaves as the msgpack array a combine
 * job takes, `[v1, …, vn]`, in one copy.
 */
class ValueRun {
  private bytes = new Uint8Array(16)
  private used = 0
  count = 0

  push (src: Uint8Array, start: number, end: number): void {
    const n = end - start
    if (this.used + n > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.used + n))
      bigger.set(this.bytes.subarray(0, this.used))
      this.bytes = bigger
    }
    if (n <= 16) for (let i = 0; i < n; i++) this.bytes[this.used + i] = src[start + i]
    else this.bytes.set(src.subarray(start, end), this.used)
    this.used += n
    this.count++
  }

  /** The first `max` values (all, when fewer) as a msgpack array, taken out of the run. */
  take (max: number): Uint8Array {
    const n = Math.min(max, this.count)
    let end = this.used
    if (n < this.count) {
      end = 0
      for (let i = 0; i < n; i++) end = skipValue(this.bytes, end)
    }
    const header = arrayHeaderLength(n)
    const out = new Uint8Array(header + end)
    writeArrayHeader(out, n)
    out.set(this.bytes.subarray(0, end), header)
    this.bytes.copyWithin(0, end, this.used)
    this.used -= end
    this.count -= n
    return out
  }

  /** The one value left (count is 1). */
  only (): Uint8Array {
    return this.bytes.subarray(0, this.used)
  }
}

export interface CombineWork {
  readonly key: string
  readonly input: Uint8Array
}

export class KeyedAggregate {
  private readonly keys = new Map<string, KeyState>()
  /** Keys holding a full group (FAN_IN values) since the last takeCombines. */
  private readonly full = new Set<string>()
  private finalizing = false
  private combinesInFlight = 0
  emitted = false

  constructor (readonly stage: string) {}

  get keyCount (): number {
    return this.keys.size
  }

  /** Adds one input item; throws AggregateInputError if it is not a `[key, value]` pair. */
  add (item: Uint8Array): void {
    this.addAt(item, 0, item.length)
  }

  /**
   * Adds the item at `start`..`end` of `bytes` (a chunk's packed outputs are fed in place: router.ts). A
   * pair's key and value are byte ranges of it: only the key is read (its identity), the value is copied.
   */
  addAt (bytes: Uint8Array, start: number, end: number): void {
    const keyEnd = bytes[start] === 0x92 && end > start + 1 ? skipValue(bytes, start + 1) : -1
    if (keyEnd < 0 || keyEnd >= end || skipValue(bytes, keyEnd) !== end) {
      throw new AggregateInputError(`stage "${this.stage}" aggregates [key, value] pairs, but received ${describeBytes(bytes.subarray(start, end))}`)
    }
    const id = stringKeyId(bytes, start + 1, keyEnd) ?? keyId(decodeValue(bytes.subarray(start + 1, keyEnd)))
    let state = this.keys.get(id)
    if (state == null) {
      state = { keyBytes: bytes.slice(start + 1, keyEnd), values: new ValueRun(), combining: 0 }
      this.keys.set(id, state)
    }
    state.values.push(bytes, keyEnd, end)
    if (state.values.count === FAN_IN) this.full.add(id)
  }

  /**
   * Moves groups of values that should be combined now out of the state, as combine job inputs (msgpack
   * arrays). Before finalising, only full groups of FAN_IN; while finalising, any key with two or more values.
   */
  takeCombines (): CombineWork[] {
    const work: CombineWork[] = []
    // before finalising only the keys that filled a group since the last call: not every key each time
    const ids = this.finalizing ? this.keys.keys() : this.full.values()
    for (const id of ids) {
      const state = this.keys.get(id)!
      while (state.values.count >= FAN_IN || (this.finalizing && state.values.count >= 2)) {
        state.combining++
        this.combinesInFlight++
        work.push({ key: id, input: state.values.take(FAN_IN) })
      }
    }
    this.full.clear()
    return work
  }

  /** A combine job finished with one value. */
  combined (key: string, value: Uint8Array): void {
    const state = this.keys.get(key)
    if (state == null) throw new GridError(`aggregate "${this.stage}": result for unknown key ${key}`)
    state.combining--
    this.combinesInFlight--
    state.values.push(value, 0, value.length)
    if (state.values.count === FAN_IN) this.full.add(key)
  }

  /** Upstream is finished: from now on every key is folded down to one value. */
  finalize (): void {
    this.finalizing = true
  }

  get isFinalizing (): boolean {
    return this.finalizing
  }

  /** True when finalising and every key holds exactly one value with no combine running. */
  readyToEmit (): boolean {
    if (!this.finalizing || this.emitted || this.combinesInFlight > 0) return false
    for (const state of this.keys.values()) if (state.values.count !== 1) return false
    return true
  }

  /** The `[key, value]` items, once; frees the state. */
  emit (): Uint8Array[] {
    const out: Uint8Array[] = []
    for (const state of this.keys.values()) out.push(packArray([state.keyBytes, state.values.only()]))
    this.keys.clear()
    this.emitted = true
    return out
  }
}


/**
 * keyId of a msgpack string key of ASCII characters, read straight from its bytes (the common key, a word or
 * a name: no decoder call); undefined for any other key.
 */
function stringKeyId (bytes: Uint8Array, start: number, end: number): string | undefined {
  const tag = bytes[start]
  const header = tag >= 0xa0 && tag <= 0xbf ? 1 : tag === 0xd9 ? 2 : tag === 0xda ? 3 : 0
  if (header === 0 || end - start - header > 64) return undefined
  let id = 's'
  for (let i = start + header; i < end; i++) {
    const c = bytes[i]
    if (c > 0x7f) return undefined
    id += String.fromCharCode(c)
  }
  return id
}

/** Keys compare by value: this is the identity of a key (strings, numbers, or anything else by its JSON form). */
export function keyId (key: unknown): string {
  if (typeof key === 'string') return `s${key}`
  if (typeof key === 'number' || typeof key === 'bigint') return `n${key}`
  return `j${JSON.stringify(key, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v)}`
}
