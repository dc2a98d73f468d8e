/**
 * The sh wrapper every SSH host runs a service under, run here by a real `sh` as sshd would run it (a login
 * shell's `-c`): it reports the program's pid and exit status, passes the session's stdin through (so an
 * `--attached` program leaves when the session closes), and reads secrets from files, never from argv.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, it } from 'node:test'
import { EXIT_MARK, PID_MARK, remoteCommand } from '../../../node-peer/deploy/remote-wrapper.js'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-grid-wrapper-'))
  // prints its argv and SECRET, then exits with the code given, or waits for stdin to close
  await writeFile(join(dir, 'prog.mjs'), [
    'console.log(JSON.stringify({ argv: process.argv.slice(2), secret: process.env.SECRET, pid: process.pid }))',
    'if (process.argv[2] === "wait") process.stdin.on("end", () => { console.log("stdin closed"); process.exit(3) }).resume()',
    'else process.exitCode = Number(process.argv[2])'
  ].join('\n'))
  await writeFile(join(dir, '.secret'), 's3cret value\n', { mode: 0o600 })
})
after(async () => { await rm(dir, { recursive: true, force: true }) })

function start (args: string[]): { out: () => string, err: () => string, child: ReturnType<typeof spawn>, closed: Promise<number | null> } {
  const command = remoteCommand({ dir, node: process.execPath, file: 'prog.mjs', args, secretFiles: { SECRET: '.secret' } })
  const child = spawn('bash', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
  const closed = new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  void closed.then(() => clearTimeout(timer))
  return { out: () => out, err: () => err, child, closed }
}

it('reports the pid of the program (not of a shell) first and its exit status last; arguments arrive intact', async () => {
  const p = start(['7', 'it\'s "quoted" $HOME'])
  assert.equal(await p.closed, 7)
  const [pidLine, json] = p.out().trim().split('\n')
  const reported = Number(pidLine.slice(PID_MARK.length + 1))
  assert.ok(pidLine.startsWith(`${PID_MARK} `))
  const printed = JSON.parse(json)
  assert.equal(printed.pid, reported, 'the pid reported is the program\'s own')
  assert.deepEqual(printed.argv, ['7', 'it\'s "quoted" $HOME'])
  assert.equal(printed.secret, 's3cret value', 'the secret came from its file')
  assert.equal(p.err().trim(), `${EXIT_MARK} 7`)
})

it('the secret is on no command line, and closing the session\'s stdin reaches the program', async () => {
  const p = start(['wait'])
  const deadline = Date.now() + 10_000
  while (!p.out().includes('"argv"') && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  const pid = Number(/^\S+ (\d+)$/m.exec(p.out())?.[1])
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8')
  assert.doesNotMatch(cmdline, /s3cret/)
  assert.doesNotMatch(await readFile(`/proc/${p.child.pid!}/cmdline`, 'utf8'), /s3cret/)
  p.child.stdin!.end()
  assert.equal(await p.closed, 3)
  assert.match(p.out(), /stdin closed/)
})

it('a program killed by a signal is reported as 128 + the signal', async () => {
  const p = start(['wait'])
  const deadline = Date.now() + 10_000
  while (!p.out().includes('"argv"') && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  process.kill(Number(/^\S+ (\d+)$/m.exec(p.out())?.[1]), 'SIGKILL')
  assert.equal(await p.closed, 137)
  assert.equal(p.err().trim().split('\n').pop(), `${EXIT_MARK} 137`) // after the shell's own 'Killed'
  p.child.stdin!.end()
})
