/** Checks of a run's output: the bench only counts runs that computed the right thing. */
import { createReadStream } from 'node:fs'

export class WrongResultError extends Error {
  static override name = 'WrongResultError'
}

/** Reads a jsonl sink's file of numbers (streamed: W4 writes millions of lines); returns their count and sum. */
export async function jsonlNumbers (path: string): Promise<{ count: number, sum: number }> {
  let count = 0
  let sum = 0
  let rest = ''
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string)
    let start = 0
    for (;;) {
      const end = text.indexOf('\n', start)
      if (end < 0) break
      sum += Number(text.slice(start, end))
      count++
      start = end + 1
    }
    rest = text.slice(start)
  }
  return { count, sum }
}

export function expectEqual (what: string, actual: unknown, expected: unknown): void {
  if (actual !== expected) throw new WrongResultError(`${what}: got ${String(actual)}, expected ${String(expected)}`)
}
