/**
 * The `edge-grid` package as another project gets it: `npm pack` of this checkout (its built dist/), installed
 * by path into a fresh folder (dependencies from the npm registry: about a minute), imported by name from an
 * ES module that runs a map on an in-process grid, and from TypeScript type-checked against the declarations
 * (`edge-grid` and `edge-grid/deploy`).
 */
import { after, before, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from '../../helpers/cli.js'

const exec = promisify(execFile)
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
let dir: string
let project: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-grid-pack-'))
  project = join(dir, 'project')
  // scripts off: `prepare` would rebuild everything; the build this test runs after is what gets packed
  await exec(npm, ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: repoRoot, timeout: 120_000 })
  const tarball = (await readdir(dir)).find(f => f.endsWith('.tgz'))
  assert.ok(tarball != null, 'npm pack wrote no tarball')
  await exec('mkdir', [project])
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'uses-edge-grid', private: true, type: 'module' }))
  await exec(npm, ['install', '--no-audit', '--no-fund', join(dir, tarball)], { cwd: project, timeout: 300_000 })
  await copyFile(join(repoRoot, 'examples', 'collatz', 'build', 'collatz.wasm'), join(project, 'collatz.wasm'))
}, { timeout: 420_000 })

after(async () => {
  if (dir != null) await rm(dir, { recursive: true, force: true })
})

it('a fresh project imports edge-grid by name and maps a function on an in-process grid', async () => {
  await writeFile(join(project, 'app.mjs'), `
import { readFile } from 'node:fs/promises'
import { startGrid, FlowValidationError } from 'edge-grid'
const grid = await startGrid({ workers: 1 })
try {
  const out = []
  for await (const r of grid.map({ wasm: await readFile('collatz.wasm'), export: 'keyed' }, [[27, 111], [97, 118]])) out.push(r)
  console.log(JSON.stringify(out), typeof FlowValidationError)
} finally {
  await grid.stop()
}
`)
  const { stdout } = await exec(process.execPath, ['app.mjs'], { cwd: project, timeout: 120_000 })
  assert.equal(stdout.trim(), '[["longest",[27,111]],["longest",[97,118]]] function')
})

it('it carries the self-contained worker bundle, which runs from the installed package', async () => {
  const { stdout } = await exec(process.execPath, [join(project, 'node_modules', 'edge-grid', 'dist', 'bundle', 'grid-worker.mjs'), '--help'], { cwd: project, timeout: 60_000 })
  assert.match(stdout, /^Usage: grid-worker \[options\]/)
})

it('links grid-worker and grid-coordinator: a project that installed the package joins and runs grids with npx', async () => {
  const worker = await exec('npx', ['--no-install', 'grid-worker', '--help'], { cwd: project, timeout: 60_000 })
  assert.match(worker.stdout, /^Usage: grid-worker \[options\]/)
  const coordinator = await exec('npx', ['--no-install', 'grid-coordinator', '--help'], { cwd: project, timeout: 60_000 })
  assert.match(coordinator.stdout, /^Usage: grid-coordinator <flow\.json> \[options\]/)
})

it('links grid-deploy, which runs deployment scripts from the installed package', async () => {
  const { stdout } = await exec('npx', ['--no-install', 'grid-deploy', '--help'], { cwd: project, timeout: 60_000 })
  assert.match(stdout, /^Usage: grid-deploy <script\.mjs>/)
  await writeFile(join(project, 'deploy.mjs'), `
import { Deployment } from 'edge-grid/deploy'
const d = new Deployment({ progress: false })
const [worker] = d.workers(1, { on: d.localhost() })
d.coordinator({ on: d.localhost() })
await d.deploy()
for await (const r of d.grid.map({ wasm: 'collatz.wasm', export: 'keyed' }, [[27, 111]])) console.log(JSON.stringify(r), worker.state)
`)
  const run = await exec('npx', ['--no-install', 'grid-deploy', 'deploy.mjs'], { cwd: project, timeout: 120_000 })
  assert.match(run.stdout, /^\["longest",\[27,111\]\] joined$/m)
  assert.match(run.stderr, /\[worker\/0@localhost\] left/, 'grid-deploy stopped the deployment the script left running')
})

it('its type declarations type-check a TypeScript program (and catch a misuse)', async () => {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc')
  const flags = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--typeRoots', join(repoRoot, 'node_modules', '@types'), '--types', 'node']
  await writeFile(join(project, 'app.mts'), `
import { connect, startGrid, RunCancelledError } from 'edge-grid'
import type { Grid, GridRun, RunSummary } from 'edge-grid'
import { Deployment, HostKeyError } from 'edge-grid/deploy'
import type { Service } from 'edge-grid/deploy'
const grid: Grid = await startGrid({ workers: 1 })
const run: GridRun = await grid.run({ name: 'x', sources: { s: [1] }, sinks: { o: { type: 'stdout', input: 's' } } }, { signal: AbortSignal.timeout(1000) })
run.on('progress', p => { console.log(p.jobsDone) })
const summary: RunSummary = await run.done
console.log(summary.jobsDone, RunCancelledError.name, typeof connect)
const d = new Deployment({ progress: false })
const workers: Service[] = d.workers(2, { on: d.ssh({ host: 'h', user: 'u', hostKey: 'SHA256:…' }), labels: ['gpu'] })
const grid2: Grid = d.grid
console.log(workers[0].label, HostKeyError.name, typeof grid2)
`)
  await exec(process.execPath, [tsc, ...flags, 'app.mts'], { cwd: project, timeout: 120_000 })
  await writeFile(join(project, 'wrong.mts'), `
import { startGrid } from 'edge-grid'
const grid = await startGrid({ workers: 'two' })
`)
  await assert.rejects(exec(process.execPath, [tsc, ...flags, 'wrong.mts'], { cwd: project, timeout: 120_000 }), (err: { stdout?: string }) => {
    assert.match(err.stdout ?? '', /wrong\.mts.*Type 'string' is not assignable to type 'number'/s)
    return true
  })
})
