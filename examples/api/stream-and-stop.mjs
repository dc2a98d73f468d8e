// Streams a sink of the collatz example into code and stops early: leaving the loop cancels the run.
// Run after the build: node examples/api/stream-and-stop.mjs
import { fileURLToPath } from 'node:url'
import { RunCancelledError, startGrid } from 'edge-grid'

const flow = fileURLToPath(new URL('../collatz/flow.json', import.meta.url))
const grid = await startGrid({ workers: 2 })
try {
  // `lengths` comes to this code; `result` (stdout) is written as the command line would, at the end
  const run = await grid.run(flow, { local: ['result'] })
  let seen = 0
  for await (const [start, steps] of run.results('lengths')) {
    if (steps > 100) {
      console.log(`first start found with more than 100 steps: ${start} (${steps} steps), after ${seen} others`)
      break // cancels the run
    }
    seen++
  }
  await run.done.catch(err => { if (!(err instanceof RunCancelledError)) throw err })
  console.log('cancelled the rest of the run')
} finally {
  await grid.stop()
}
