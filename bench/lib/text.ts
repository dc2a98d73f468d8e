/**
 * A deterministic English-like text for W10 (word count): lines of 3 to 16 words drawn from a vocabulary of
 * 20,000 generated lowercase words by Zipf's law (s ≈ 1: the 100 most common words make about half the text,
 * as in English prose), so some words are very common and most are rare. Written in large blocks; the expected count of every word is kept while writing.
 */
import { open } from 'node:fs/promises'

const VOCABULARY = 20_000

/** A small LCG: the same text on every machine and run. */
class Lcg {
  private x: number
  constructor (seed: number) { this.x = seed >>> 0 }
  next (): number {
    this.x = (Math.imul(this.x, 1664525) + 1013904223) >>> 0
    return this.x / 0x100000000
  }
}

export interface GeneratedText {
  readonly bytes: number
  readonly lines: number
  readonly words: number
  /** Word → how often it occurs (the word rule of examples/wordcount: lowercase ASCII letters). */
  readonly counts: Map<string, number>
}

/** Writes about `targetBytes` of text to `path`. */
export async function writeText (path: string, targetBytes: number, seed = 20261205): Promise<GeneratedText> {
  const rng = new Lcg(seed)
  const vocabulary: string[] = []
  for (let i = 0; i < VOCABULARY; i++) {
    const length = 2 + Math.floor(rng.next() * 9)
    let word = ''
    for (let k = 0; k < length; k++) word += String.fromCharCode(97 + Math.floor(rng.next() * 26))
    vocabulary.push(word)
  }
  const counts = new Map<string, number>()
  const file = await open(path, 'w')
  let bytes = 0
  let lines = 0
  let words = 0
  try {
    while (bytes < targetBytes) {
      const block: string[] = []
      let blockBytes = 0
      while (blockBytes < 1 << 20 && bytes + blockBytes < targetBytes) {
        const n = 3 + Math.floor(rng.next() * 14)
        const line: string[] = []
        for (let k = 0; k < n; k++) {
          // log-uniform rank: P(rank < k) = log(k + 1) / log(V + 1), Zipf's law with s ≈ 1, as in English prose
          const word = vocabulary[Math.floor((VOCABULARY + 1) ** rng.next()) - 1]
          counts.set(word, (counts.get(word) ?? 0) + 1)
          line.push(word)
        }
        words += n
        // punctuation the split function must see through
        const text = line.join(rng.next() < 0.2 ? ', ' : ' ') + (rng.next() < 0.5 ? '.' : '')
        block.push(text)
        blockBytes += text.length + 1
        lines++
      }
      const chunk = block.join('\n') + '\n'
      await file.write(chunk)
      bytes += chunk.length
    }
  } finally {
    await file.close()
  }
  return { bytes, lines, words, counts }
}
