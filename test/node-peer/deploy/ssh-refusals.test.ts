/**
 * What a deployment refuses, over real SSH (test/helpers/ssh-host.ts): a host whose key is not the one pinned
 * (a key line, a fingerprint) or unknown to known_hosts; a host without Node.js or with one older than 20.
 * Each fails grid-deploy with exit 1 and a message naming the host and what to do, and leaves nothing behind.
 */
import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { repoRoot } from '../../helpers/cli.js'
import { exitWithin, useSshDeployment } from '../../helpers/deploy-project.js'
import { waitForNoRemoteProcesses } from '../../helpers/ssh-host.js'
const FLOW = join(repoRoot, 'examples', 'collatz', 'flow.json') // never run: the deployment fails first

async function uploadedFolders (): Promise<string[]> {
  return (await readdir(tmpdir())).filter(f => f.startsWith('edge-grid-deploy.'))
}

describe('grid-deploy refuses', { timeout: 240_000 }, () => {
  const ssh = useSshDeployment()

  async function deployFails (hostKey: string, node?: string): Promise<string> {
    const { host } = ssh
    const before = await uploadedFolders()
    const proc = ssh.deploy(hostKey, FLOW, { node })
    const code = await exitWithin(proc, 90_000)
    assert.equal(code, 1, proc.output.slice(-3000))
    assert.doesNotMatch(proc.output, /\+ worker\/\d joined/, 'no worker started')
    const left = await waitForNoRemoteProcesses(host)
    assert.deepEqual(left, [], `processes left on the SSH host:\n${await host.describe(left)}`)
    const added = (await uploadedFolders()).filter(f => !before.includes(f))
    assert.deepEqual(added, [], 'no uploaded folder is left')
    return proc.output
  }

  it('a host key that is not the pinned one', async () => {
    const out = await deployFails(ssh.host.otherKey)
    assert.match(out, new RegExp(`grid-deploy: HostKeyError: ${ssh.host.remoteAddress.replace(/\./g, '\\.')}: the host's key does not match the hostKey given in d\\.ssh\\(\\)`))
    assert.match(out, /ssh-keygen -lf/, 'says how to check the key on the host')
  })

  it('a host whose keys do not have the pinned fingerprint', async () => {
    const out = await deployFails('SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
    assert.match(out, /grid-deploy: HostKeyError: \S+: none of the host's keys has the fingerprint SHA256:A+ given as hostKey \(it has ssh-ed25519 SHA256:/)
    assert.ok(out.includes(ssh.host.fingerprint), 'names the fingerprint the host has')
  })

  it('a host unknown to known_hosts (no key pinned): host key checking is never turned off', async () => {
    const out = await deployFails('')
    assert.match(out, /grid-deploy: HostKeyError: \S+: the host's key does not match known_hosts \(~\/\.ssh\/known_hosts\), or the host is unknown there/)
  })

  it('a host without Node.js, and one with Node.js older than 20', async () => {
    const missing = await deployFails(ssh.host.hostKey, '/nonexistent/bin/node')
    assert.match(missing, /grid-deploy: HostUnavailableError: \S+: needs Node\.js 20 or newer to run workers, found no "\/nonexistent\/bin\/node" on the login PATH/)
    // an old node: a stand-in that answers like Node 18 would (the "host" shares this filesystem)
    const old = join(ssh.project, 'node18')
    await writeFile(old, '#!/bin/sh\necho 18.19.1\n', { mode: 0o755 })
    const tooOld = await deployFails(ssh.host.hostKey, old)
    assert.match(tooOld, /grid-deploy: HostUnavailableError: \S+: needs Node\.js 20 or newer to run workers, found Node\.js 18\.19\.1\. Install Node\.js ≥ 20/)
  })
})
