/**
 * `random_get` for pure functions: a generator seeded by the job's input bytes, so every replica and every
 * retry of a job sees the same "random" bytes (verification compares outputs byte for byte) while different
 * inputs see different streams. Not cryptographic, and not meant to be: sfc32 (Chris Doty-Humphrey's small
 * fast counter), seeded from two 32-bit FNV-1a-style hashes of the input.
 */
export class SeededRandom {
  private a: number
  private b: number
  private c: number
  private d = 1

  constructor (seed: Uint8Array) {
    let h1 = 0x811c9dc5
    let h2 = 0x9e3779b9 ^ seed.length
    for (let i = 0; i < seed.length; i++) {
      h1 = Math.imul(h1 ^ seed[i], 0x01000193)
      h2 = Math.imul(h2 ^ seed[i], 0x5bd1e995)
      h2 ^= h2 >>> 15
    }
    this.a = h1
    this.b = h2
    this.c = h1 ^ h2 ^ 0x6a09e667
    for (let i = 0; i < 12; i++) this.next() // mix the seed in
  }

  /** The next 32 random bits, as an unsigned integer. */
  next (): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  fill (out: Uint8Array): void {
    for (let i = 0; i < out.length; i += 4) {
      let r = this.next()
      for (let k = i; k < i + 4 && k < out.length; k++) {
        out[k] = r & 0xff
        r >>>= 8
      }
    }
  }
}
