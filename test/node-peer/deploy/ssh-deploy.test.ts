/**
 * Deployments over real SSH (test/helpers/ssh-host.ts: OpenSSH's sshd in a private network namespace): a
 * coordinator here and two workers on the SSH host run a real flow with exact output; a worker killed on the
 * host is reported and the flow still completes; d.stop() leaves no process and no uploaded folder behind.
 */
import assert from 'node:assert/strict'
import { copyFile, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { repoRoot } from '../../helpers/cli.js'
import { deployProject, exitWithin, startGridDeploy } from '../../helpers/deploy-project.js'
import { checkCollatzUpTo } from '../../helpers/example-checks.js'
import { copyCollatz } from '../../helpers/example-copy.js'
import { startSshHost, waitForNoRemoteProcesses } from '../../helpers/ssh-host.js'
import type { SshTestHost } from '../../helpers/ssh-host.js'

const SCRIPT = join(repoRoot, 'test', 'fixtures', 'deploy', 'ssh-flow.mjs')

describe('grid-deploy over SSH', { timeout: 300_000 }, () => {
  let host: SshTestHost
  let project: string
  before(async () => {
    host = await startSshHost()
    project = await deployProject()
    await copyFile(SCRIPT, join(project, 'ssh-flow.mjs'))
  })
  after(async () => {
    await host?.close()
    if (project != null) await rm(project, { recursive: true, force: true })
  })

  async function assertNothingLeft (folder: string | undefined): Promise<void> {
    const left = await waitForNoRemoteProcesses(host)
    assert.deepEqual(left, [], `processes left on the SSH host:\n${await host.describe(left)}`)
    assert.ok(folder != null && folder.startsWith('/'), 'the script printed the uploaded folder')
    assert.equal(existsSync(folder), false, `${folder} was removed`)
  }

  it('runs a flow on two workers on the SSH host with exact output, and d.stop() leaves nothing behind', async () => {
    const flowDir = await copyCollatz(10_001)
    try {
      const proc = startGridDeploy(project, 'ssh-flow.mjs', [host.remoteAddress, String(host.port), host.userKey, host.fingerprint, join(flowDir, 'flow.json')], host.local)
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
})
