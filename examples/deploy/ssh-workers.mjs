// A coordinator on this machine, two workers on an SSH host, the primes flow on them, then everything stopped.
// npx grid-deploy examples/deploy/ssh-workers.mjs user@host[:port] [identityFile] [hostKey]
import { fileURLToPath } from 'node:url'
import { Deployment } from 'edge-grid/deploy'

const [target, identityFile, hostKey] = process.argv.slice(2)
const [, user, host, port] = /^(?:([^@]+)@)?([^:]+)(?::(\d+))?$/.exec(target)
const d = new Deployment()
const box = d.ssh({ host, user, port: port && Number(port), identityFile, hostKey })
d.coordinator({ on: d.localhost() })
const workers = d.workers(2, { on: box })
await d.deploy()   // checks Node on the host, uploads the worker bundle, starts all, waits for every join

const run = await d.grid.run(fileURLToPath(new URL('../primes/flow.json', import.meta.url)))
for await (const [what, count] of run.results('primes')) console.log(`${what}: ${count}`)
const summary = await run.done
console.log(`${summary.jobsDone} jobs in ${summary.wallMs} ms on ${workers.map(w => w.label).join(', ')}`)
await d.stop()     // stops every service, removes the uploaded folder
