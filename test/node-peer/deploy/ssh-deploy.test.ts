/**
 * Deployments over real SSH (test/helpers/ssh-host.ts: OpenSSH's sshd in a private network namespace): a
 * coordinator here and two workers on the SSH host run a real flow with exact output; a worker killed on the
 * host is reported and the flow still completes; d.stop() leaves no process and no uploaded folder behind;
 * Ctrl-C of grid-deploy stops everything and exits 130. The deployment runs inside the "local" namespace.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdir, readFile, readlink, rm } from 'node:fs/promises'
import { promisify } from 'node:util'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { exitWithin, useSshDeployment } from '../../helpers/deploy-project.js'
import { checkCollatzUpTo } from '../../helpers/example-checks.js'
import { copyCollatz } from '../../helpers/example-copy.js'
import { waitForNoRemoteProcesses } from '../../helpers/ssh-host.js'

const execFileAsync = promisify(execFile)

/** The deployments' local scratch folders (mkdtemp edge-grid-deploy-*). */
async function scratchFolders (): Promise<string[]> {
  return (await readdir(tmpdir())).filter(f => f.startsWith('edge-grid-deploy-')).map(f => join(tmpdir(), f))
}

describe('grid-deploy over SSH', { timeout: 300_000 }, () => {
  const ssh = useSshDeployment()

  async function assertNothingLeft (folder: string | undefined): Promise<void> {
    const left = await waitForNoRemoteProcesses(ssh.host)
    assert.deepEqual(left, [], `processes left on the SSH host:\n${await ssh.host.describe(left)}`)
    assert.ok(folder != null && folder.startsWith('/'), 'the script printed the uploaded folder')
    assert.equal(existsSync(folder), false, `${folder} was removed`)
  }

  it('runs a flow on two workers on the SSH host with exact output, and d.stop() leaves nothing behind', async () => {
    const flowDir = await copyCollatz(10_001)
    try {
      const { host } = ssh
      const proc = ssh.deploy(host.fingerprint, join(flowDir, 'flow.json'))
      const code = await exitWithin(proc, 180_000)
      assert.equal(code, 0, proc.output.slice(-4000))
      const out = proc.output
      if (process.env.DEPLOY_DEBUG != null) console.error(out)
      // every worker ran on the SSH host, and said so under its prefix
      for (const w of ['worker/0', 'worker/1']) {
        assert.match(out, new RegExp(`\\[coordinator@localhost\\] \\+ ${w} joined`))
        assert.match(out, new RegExp(`\\[${w}@${host.remoteAddress.replace(/\./g, '\\.')}\\] .*connected to coordinator`))
      }
      await checkCollatzUpTo(flowDir, out, 10_001)
      assert.match(out, /stopped: worker\/0@\S+ stopped, worker\/1@\S+ stopped/)
      await assertNothingLeft(/^folder (\S+)$/m.exec(out)?.[1])
    } finally {
      await rm(flowDir, { recursive: true, force: true })
    }
  })

  it('reports a worker killed on the SSH host, and the flow still completes with exact output', async () => {
    const end = 50_001 // long enough (≈ 12 s on two workers) to kill one in the middle
    const flowDir = await copyCollatz(end)
    const { host } = ssh
    const proc = ssh.deploy(host.hostKey, join(flowDir, 'flow.json'))
    try {
      const [, , victim] = await proc.waitFor(/^pids (\d+) (\d+)$/m, 90_000)
      await proc.waitFor(/\[coordinator@localhost\] > run \S+ started/, 30_000)
      // what runs on the host is the uploaded bundle, alone in its fresh folder
      const folder = /^folder (\S+)$/m.exec(proc.output)?.[1]
      assert.equal(await readlink(`/proc/${victim}/cwd`), folder)
      assert.match((await readFile(`/proc/${victim}/cmdline`, 'utf8')).split('\0').slice(1, 4).join(' '), /^grid-worker\.mjs --bootstrap \/ip4\/10\.77\.\d+\.1\/tcp\/\d+\/p2p\//)
      assert.deepEqual((await readdir(folder!)).filter(f => f !== 'cache').sort(), ['.edge_grid_secret', 'grid-worker.mjs']) // and the module cache, once made
      await new Promise(resolve => setTimeout(resolve, 1_500)) // it holds jobs by now
      await execFileAsync('ip', ['netns', 'exec', host.remote, 'kill', '-KILL', victim], { timeout: 10_000 })
      const code = await exitWithin(proc, 240_000)
      const out = proc.output
      assert.equal(code, 0, out.slice(-4000))
      const at = host.remoteAddress.replace(/\./g, '\\.')
      assert.match(out, new RegExp(`grid-deploy: worker/1@${at} ended \\(killed by SIGKILL\\)`))
      assert.match(out, /\[coordinator@localhost\] - worker\/1 /)
      await checkCollatzUpTo(flowDir, out, end)
      assert.match(out, new RegExp(`stopped: worker/0@${at} stopped, worker/1@${at} exited`))
      await assertNothingLeft(/^folder (\S+)$/m.exec(out)?.[1])
    } finally {
      proc.kill('SIGKILL')
      await rm(flowDir, { recursive: true, force: true })
    }
  })

  it('grid-deploy killed outright (SIGKILL): the services on the SSH host and here end by themselves', async () => {
    const flowDir = await copyCollatz(50_001)
    const scratchBefore = await scratchFolders()
    const { host } = ssh
    const proc = ssh.deploy(host.fingerprint, join(flowDir, 'flow.json'), { direct: true })
    let folder: string | undefined
    try {
      await proc.waitFor(/\[coordinator@localhost\] > run \S+ started/, 90_000)
      folder = /^folder (\S+)$/m.exec(proc.output)?.[1]
      assert.ok((await host.remotePids()).length > 0, 'workers run on the SSH host')
      proc.kill('SIGKILL') // its whole process group: no chance to stop anything
      await proc.exited
      // the ssh sessions close (their stdin was grid-deploy's), the --attached workers see EOF and leave
      const left = await waitForNoRemoteProcesses(host, 30_000)
      assert.deepEqual(left, [], `processes left on the SSH host:\n${await host.describe(left)}`)
      const deadline = Date.now() + 30_000
      let local = ''
      do {
        local = (await execFileAsync('ip', ['netns', 'pids', host.local], { timeout: 10_000 })).stdout.trim()
        if (local !== '') await new Promise(resolve => setTimeout(resolve, 200))
      } while (local !== '' && Date.now() < deadline)
      assert.equal(local, '', `processes left in the deploying namespace:\n${await host.describe(local.split('\n').map(Number))}`)
    } finally {
      proc.kill('SIGKILL')
      await rm(flowDir, { recursive: true, force: true })
      // nobody was left to remove the uploaded folder and the deployment's scratch folder here
      for (const f of [folder, ...(await scratchFolders()).filter(f => !scratchBefore.includes(f))]) if (f != null) await rm(f, { recursive: true, force: true })
    }
  })

  it('Ctrl-C of grid-deploy in the middle of a run stops everything on every host and exits 130', async () => {
    const flowDir = await copyCollatz(50_001)
    const { host } = ssh
    const proc = ssh.deploy(host.fingerprint, join(flowDir, 'flow.json'), { direct: true })
    try {
      await proc.waitFor(/\[coordinator@localhost\] > run \S+ started/, 90_000)
      const folder = /^folder (\S+)$/m.exec(proc.output)?.[1]
      await new Promise(resolve => setTimeout(resolve, 1_000))
      proc.interruptGroup()
      const code = await exitWithin(proc, 60_000)
      assert.equal(code, 130, proc.output.slice(-4000))
      assert.match(proc.output, /grid-deploy: SIGINT: stopping every service on every host/)
      assert.doesNotMatch(proc.output, /^done \d+ jobs$/m, 'the run was cut short')
      await assertNothingLeft(folder)
      const local = (await execFileAsync('ip', ['netns', 'pids', host.local], { timeout: 10_000 })).stdout.trim()
      assert.equal(local, '', `processes left in the deploying namespace:\n${await host.describe(local.split('\n').map(Number))}`)
    } finally {
      proc.kill('SIGKILL')
      await rm(flowDir, { recursive: true, force: true })
    }
  })
})
