/**
 * A hash table of references for very many entries in little memory: each entry is a 32-bit hash and two
 * 32-bit numbers saying where the real key lives (a resumed run indexes millions of journaled jobs this way,
 * in typed arrays instead of millions of strings and objects). Lookups confirm a candidate by comparing the
 * real key, so hash collisions cost time, never correctness. An entry can be used up (a sink item that was
 * skipped once); used-up entries stay in place so probe chains are never cut.
 */
const EMPTY = 0
const LIVE = 1
const USED_UP = 2

export class RefTable {
  private readonly mask: number
  private readonly hashes: Uint32Array
  private readonly refA: Uint32Array
  private readonly refB: Uint32Array
  private readonly state: Uint8Array
  private count = 0

  /** `entries`: how many entries will be added (at most); the table is sized for a load of at most 1/2. */
  constructor (readonly entries: number) {
    let capacity = 16
    while (capacity < entries * 2) capacity *= 2
    this.mask = capacity - 1
    this.hashes = new Uint32Array(capacity)
    this.refA = new Uint32Array(capacity)
    this.refB = new Uint32Array(capacity)
    this.state = new Uint8Array(capacity)
  }

  get size (): number {
    return this.count
  }

  add (hash: number, a: number, b: number): void {
    if (this.count >= this.entries) throw new RangeError(`RefTable sized for ${this.entries} entries is full`)
    let slot = hash & this.mask
    while (this.state[slot] !== EMPTY) slot = (slot + 1) & this.mask
    this.hashes[slot] = hash
    this.refA[slot] = a
    this.refB[slot] = b
    this.state[slot] = LIVE
    this.count++
  }

  /**
   * The first live entry with this hash whose reference `matches` (compares the real key); with `useUp`, that
   * entry is used up and not found again. Returns its reference, or undefined.
   */
  find (hash: number, matches: (a: number, b: number) => boolean, useUp = false): { a: number, b: number } | undefined {
    for (let slot = hash & this.mask; this.state[slot] !== EMPTY; slot = (slot + 1) & this.mask) {
      if (this.state[slot] !== LIVE || this.hashes[slot] !== hash) continue
      const a = this.refA[slot]
      const b = this.refB[slot]
      if (!matches(a, b)) continue
      if (useUp) this.state[slot] = USED_UP
      return { a, b }
    }
    return undefined
  }
}
