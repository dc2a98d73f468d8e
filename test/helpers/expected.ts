/**
 * Independent computations of what each example must output, written from the examples' READMEs in plain
 * JavaScript: the tests compare the grid's output to these, never to a stored copy of the program's output.
 */
export function fibonacciUpTo (limit: number): number[] {
  const out: number[] = []
  let a = 0
  let b = 1
  for (;;) {
    out.push(a)
    if (b > limit) break
    ;[a, b] = [b, a + b]
  }
  return out
}

export function collatzSteps (n: number): number {
  let steps = 0
  while (n !== 1) {
    n = n % 2 === 0 ? n / 2 : 3 * n + 1
    steps++
  }
  return steps
}

export function primesBelow (n: number): number {
  const composite = new Uint8Array(n)
  let count = 0
  for (let i = 2; i < n; i++) {
    if (composite[i] === 1) continue
    count++
    for (let j = i * i; j < n; j += i) composite[j] = 1
  }
  return count
}

/** Word rules of examples/wordcount/README.md: runs of ASCII letters and apostrophes, trimmed of apostrophes, lowercased. */
export function wordCounts (text: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const line of text.split('\n')) {
    for (const run of line.match(/[A-Za-z']+/g) ?? []) {
      const word = run.replace(/^'+|'+$/g, '').toLowerCase()
      if (!/[a-z]/.test(word)) continue
      counts.set(word, (counts.get(word) ?? 0) + 1)
    }
  }
  return counts
}

/** examples/mandelbrot/README.md, "The algorithm, exactly": RGB bytes of the whole image. */
export function mandelbrotPixels (width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const cr = -2.2 + x * 0.004
      const ci = -1.2 + y * 0.004
      let zr = 0
      let zi = 0
      let i = 0
      while (i < 256) {
        const zr2 = zr * zr
        const zi2 = zi * zi
        if (zr2 + zi2 > 4.0) break
        zi = 2.0 * zr * zi + ci
        zr = zr2 - zi2 + cr
        i++
      }
      const o = (y * width + x) * 3
      if (i === 256) continue
      const t = Math.sqrt(i / 256)
      const u = 1.0 - t
      out[o] = Math.trunc(9.0 * u * t * t * t * 255.0)
      out[o + 1] = Math.trunc(15.0 * u * u * t * t * 255.0)
      out[o + 2] = Math.trunc(8.5 * u * u * u * t * 255.0)
    }
  }
  return out
}

/** examples/chain for 1 ≤ n < end, in n order: [n, digit sum of n²] where that sum is a multiple of 13. */
export function chainSelected (end: number): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let n = 1; n < end; n++) {
    let s = n * n
    let sum = 0
    while (s > 0) {
      sum += s % 10
      s = Math.floor(s / 10)
    }
    if (sum % 13 === 0) out.push([n, sum])
  }
  return out
}
