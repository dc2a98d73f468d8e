// Feeds a source from an async generator: items are pulled only as fast as the grid takes them.
// Run after the build: node examples/api/async-source.mjs
import { readFile } from 'node:fs/promises'
import { startGrid } from 'edge-grid'

const collatz = await readFile(new URL('../collatz/build/collatz.wasm', import.meta.url))

async function * starts () {
  for (let n = 1; n <= 1000; n++) {
    if (n % 100 === 0) await new Promise(resolve => setTimeout(resolve, 10)) // e.g. waiting on a database
    yield n
  }
}

const grid = await startGrid({ workers: 2 })
try {
  const run = await grid.run({
    name: 'collatz-from-a-generator',
    functions: { step: { wasm: collatz, export: 'step' } },
    sources: { starts: starts() },
    stages: { iterate: { function: 'step', input: ['starts', 'iterate.next'], outputs: ['next', 'done'] } },
    sinks: { lengths: { type: 'stdout', input: 'iterate.done' } }
  })
  let longest = [0, -1]
  for await (const [start, steps] of run.results('lengths')) {
    if (steps > longest[1] || (steps === longest[1] && start < longest[0])) longest = [start, steps]
  }
  const summary = await run.done
  console.log(`longest trajectory below 1001: ${longest[0]} (${longest[1]} steps); ${summary.jobsDone} jobs`)
} finally {
  await grid.stop()
}
