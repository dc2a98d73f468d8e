/**
 * What a new user gets: a fresh clone of this repository, ONE `npm install`, then the commands the README
 * and the coordinator print, typed as a user types them (`npx …` from the clone's folder, not a script path).
 *
 * This caught `npx grid-worker` failing after one install (the lockfile listed one bin of two, so npm linked
 * only that one and rewrote the lockfile). It clones the committed HEAD: uncommitted changes are not in it,
 * exactly as in a user's clone. The child processes get an environment without `npm test`'s own npm_*
 * variables and without any `node_modules/.bin` on PATH, so nothing resolves to this checkout's install.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from './helpers/cli.js'

interface ShellResult {
  readonly code: number | null
  readonly output: string
}

/** The environment of a user's shell: no npm lifecycle variables, no project's node_modules/.bin on PATH. */
function userEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key.toLowerCase().startsWith('npm_') || key === 'INIT_CWD') continue
    env[key] = value
  }
  env.PATH = (process.env.PATH ?? '').split(':').filter(p => !p.includes('node_modules/.bin')).join(':')
  return env
}

/** Runs one command line in `cwd` through a shell, as typed; kills it after `timeoutMs`. */
async function sh (command: string, cwd: string, timeoutMs: number): Promise<ShellResult> {
  const child = spawn('bash', ['-c', command], { cwd, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { output += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { output += d })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    try { process.kill(-(child.pid ?? 0), 'SIGKILL') } catch {}
  }, timeoutMs)
  try {
    const code = await new Promise<number | null>(resolve => child.on('close', c => resolve(c)))
    if (timedOut) throw new Error(`"${command}" did not finish within ${timeoutMs} ms in ${cwd}\n${output.slice(-3000)}`)
    return { code, output }
  } finally {
    clearTimeout(timer)
  }
}

describe('a fresh clone after one npm install', { timeout: 900_000 }, () => {
  let dir: string
  let clone: string
  let install: ShellResult

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-grid-clone-'))
    clone = join(dir, 'edge-grid')
    const cloned = await sh(`git clone --quiet "${repoRoot}" "${clone}"`, dir, 120_000)
    assert.equal(cloned.code, 0, `git clone of ${repoRoot} failed (the test needs the repository's .git):\n${cloned.output}`)
    install = await sh('npm install', clone, 600_000)
  })

  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('installs with exit 0 and no warning about install scripts', () => {
    assert.equal(install.code, 0, install.output.slice(-3000))
    assert.doesNotMatch(install.output, /install-scripts/, 'npm install warns about unapproved install scripts')
  })

  it('leaves every tracked file unchanged and adds no untracked file', async () => {
    const status = await sh('git status --porcelain', clone, 30_000)
    assert.equal(status.code, 0, status.output)
    assert.equal(status.output.trim(), '', `a fresh clone is dirty after one npm install:\n${status.output}`)
  })

  it('links every bin of node-peer/package.json, and each answers --help via npx --no-install', async () => {
    const bins = Object.keys((JSON.parse(readFileSync(join(clone, 'node-peer/package.json'), 'utf8')) as { bin: Record<string, string> }).bin)
    assert.ok(bins.includes('grid-worker') && bins.includes('grid-coordinator'), `bins: ${bins.join(', ')}`)
    for (const bin of bins) {
      assert.ok(existsSync(join(clone, 'node_modules/.bin', bin)), `node_modules/.bin/${bin} is not linked`)
      const help = await sh(`npx --no-install ${bin} --help`, clone, 60_000)
      assert.equal(help.code, 0, `npx --no-install ${bin} --help:\n${help.output}`)
      assert.match(help.output, new RegExp(`Usage: ${bin}`), `npx --no-install ${bin} --help printed no usage:\n${help.output}`)
    }
  })

  it("runs the README's first command as typed and renders the image", async () => {
    const readme = readFileSync(join(clone, 'README.md'), 'utf8')
    const line = readme.split('\n').find(l => l.startsWith('npm install && npx grid-coordinator'))
    assert.ok(line != null, 'README.md has no "npm install && npx grid-coordinator …" line under "The two commands"')
    const command = line.replace(/\s+#.*$/, '')
    const run = await sh(command, clone, 300_000)
    assert.equal(run.code, 0, `${command}:\n${run.output.slice(-3000)}`)
    assert.match(run.output, /npx --no-install grid-worker --bootstrap \/ip4\//, 'the printed join command')
    assert.match(run.output, /done: 600 jobs/)
    const png = readFileSync(join(clone, 'examples/mandelbrot/out/mandelbrot.png'))
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'out/mandelbrot.png is a PNG')
    const after = await sh('git status --porcelain', clone, 30_000)
    assert.equal(after.output.trim(), '', `running the example left the clone dirty:\n${after.output}`)
  })
})
