// Maps a WebAssembly function over an array on a grid and prints the results in input order.
// Run after the build: node examples/api/map-array.mjs
import { fileURLToPath } from 'node:url'
import { startGrid } from 'edge-grid'

// the primes example's `count`: the number of primes in [start, start + 312,500)
const wasm = fileURLToPath(new URL('../primes/build/primes.wasm', import.meta.url))
const starts = Array.from({ length: 8 }, (_, i) => i * 312_500)

const grid = await startGrid({ workers: 2 })
try {
  let total = 0
  let i = 0
  for await (const [, primes] of grid.map({ wasm, export: 'count' }, starts)) {
    console.log(`primes in [${starts[i]}, ${starts[i] + 312_500}): ${primes}`)
    total += primes
    i++
  }
  console.log(`primes below ${starts.length * 312_500}: ${total}`)
} finally {
  await grid.stop()
}
