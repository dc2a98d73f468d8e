// One script, several deployments with different parameters (the Hydro Deploy idea): deploys 1, 2, then 4
// grid-worker processes on this machine in turn, runs the same CPU-bound flow (examples/primes) on each, and
// prints a speed-up table. Run it as typed: npx grid-deploy examples/deploy/experiment.mjs [1,2,4]
// To use other machines, put the workers on d.ssh({ host, user, identityFile }) instead of d.localhost().
import { fileURLToPath } from 'node:url'
import { Deployment } from 'edge-grid/deploy'

const flow = fileURLToPath(new URL('../primes/flow.json', import.meta.url))
const counts = (process.argv[2] ?? '1,2,4').split(',').map(Number)

const rows = []
for (const workers of counts) {
  const d = new Deployment()
  const here = d.localhost()
  d.coordinator({ on: here })
  d.workers(workers, { on: here })
  try {
    await d.deploy()
    const run = await d.grid.run(flow)
    const results = []
    for await (const item of run.results('primes')) results.push(item)
    const summary = await run.done
    rows.push({ workers, seconds: summary.wallMs / 1000, jobs: summary.jobsDone, results })
  } finally {
    await d.stop()
  }
}

const base = rows[0].seconds
console.log('workers │ wall time │ jobs │ speed-up │ result')
for (const r of rows) {
  const result = r.results.map(item => JSON.stringify(item)).join(' ')
  console.log(`${String(r.workers).padStart(7)} │ ${`${r.seconds.toFixed(2)} s`.padStart(9)} │ ${String(r.jobs).padStart(4)} │ ${`${(base / r.seconds).toFixed(2)}×`.padStart(8)} │ ${result}`)
}
console.log(`(${(await import('node:os')).availableParallelism()} CPUs here: beyond that, more workers only share them)`)
