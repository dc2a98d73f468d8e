/**
 * A real SSH host on this machine for deployment tests: two private network namespaces ("local", where the
 * deployment runs, and "remote", the host) joined by a veth pair with private addresses, and Debian's OpenSSH
 * server running inside "remote" with its own config, generated host key and authorized user key. Nothing
 * touches the machine's real network; close() kills sshd and deletes both namespaces.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Proc } from './processes.js'

const run = promisify(execFile)
export const SSHD = '/usr/sbin/sshd'

export interface SshTestHost {
  /** Network namespace names. */
  readonly local: string
  readonly remote: string
  readonly localAddress: string
  readonly remoteAddress: string
  readonly port: number
  /** The user's private key (root logs in with it). */
  readonly userKey: string
  /** The host's public key line (`ssh-ed25519 AAAA…`) and its SHA256 fingerprint. */
  readonly hostKey: string
  readonly fingerprint: string
  /** A public key line that is not the host's (for the refusal test). */
  readonly otherKey: string
  readonly sshdPid: number
  /** Pids in the remote namespace other than the sshd listener (sessions, services). */
  remotePids (): Promise<number[]>
  /** Command lines of remotePids(), for assertion messages. */
  describe (pids: readonly number[]): Promise<string>
  close (): Promise<void>
}

async function sh (command: string, args: readonly string[], timeout = 20_000): Promise<string> {
  const { stdout } = await run(command, args, { timeout })
  return stdout
}

export async function startSshHost (): Promise<SshTestHost> {
  // unique per run: other test sessions may make namespaces of their own at the same time
  const tag = `${process.pid % 10000}${Math.floor(Math.random() * 1000)}`
  const local = `egdl${tag}`
  const remote = `egdr${tag}`
  const subnet = 1 + Math.floor(Math.random() * 250)
  const localAddress = `10.77.${subnet}.1`
  const remoteAddress = `10.77.${subnet}.2`
  const port = 2222
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-sshd-'))
  let sshd: Proc | undefined
  const close = async (): Promise<void> => {
    await sshd?.stop('SIGTERM', 5_000)
    for (const ns of [local, remote]) await run('ip', ['netns', 'del', ns], { timeout: 10_000 }).catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await sh('ip', ['netns', 'add', local])
    await sh('ip', ['netns', 'add', remote])
    // the veth pair is made directly inside the namespaces: it never appears on the machine's own network
    await sh('ip', ['link', 'add', 'vl', 'netns', local, 'type', 'veth', 'peer', 'name', 'vr', 'netns', remote])
    await sh('ip', ['-n', local, 'addr', 'add', `${localAddress}/24`, 'dev', 'vl'])
    await sh('ip', ['-n', remote, 'addr', 'add', `${remoteAddress}/24`, 'dev', 'vr'])
    for (const [ns, dev] of [[local, 'vl'], [remote, 'vr'], [local, 'lo'], [remote, 'lo']]) await sh('ip', ['-n', ns, 'link', 'set', dev, 'up'])

    const hostKeyFile = join(dir, 'ssh_host_ed25519_key')
    const userKey = join(dir, 'id_ed25519')
    const otherKeyFile = join(dir, 'other_key')
    for (const file of [hostKeyFile, userKey, otherKeyFile]) await sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file])
    await writeFile(join(dir, 'authorized_keys'), await readFile(`${userKey}.pub`), { mode: 0o600 })
    const config = join(dir, 'sshd_config')
    await writeFile(config, [
      `ListenAddress ${remoteAddress}`,
      `Port ${port}`,
      `HostKey ${hostKeyFile}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'StrictModes no', // the temporary folder's modes are not sshd's business here
      'LogLevel VERBOSE',
      ''
    ].join('\n'))
    await mkdir('/run/sshd', { recursive: true }) // sshd's privilege separation folder
    sshd = new Proc('sshd', [], { command: ['ip', 'netns', 'exec', remote, SSHD, '-D', '-e', '-f', config] })
    await sshd.waitFor(/Server listening on/, 15_000)
    const sshdPid = Number((await readFile(join(dir, 'sshd.pid'), 'utf8').catch(() => String(sshd!.pid))).trim())
    const hostKey = (await readFile(`${hostKeyFile}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ')
    const fingerprint = (await sh('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKeyFile}.pub`])).split(/\s+/)[1]
    const otherKey = (await readFile(`${otherKeyFile}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ')
    assert.match(fingerprint, /^SHA256:/)
    const remotePids = async (): Promise<number[]> => {
      const out = await sh('ip', ['netns', 'pids', remote])
      return out.split('\n').map(Number).filter(p => p > 0 && p !== sshdPid)
    }
    const describe = async (pids: readonly number[]): Promise<string> => {
      const lines = await Promise.all(pids.map(async p => `${p}: ${(await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '(gone)')).replace(/\0/g, ' ')}`))
      return lines.join('\n')
    }
    return { local, remote, localAddress, remoteAddress, port, userKey, hostKey, fingerprint, otherKey, sshdPid, remotePids, describe, close }
  } catch (err) {
    await close()
    throw err
  }
}

/** Polls (bounded) until no process but sshd's listener is left in the remote namespace; returns what is left. */
export async function waitForNoRemoteProcesses (host: SshTestHost, ms = 20_000): Promise<number[]> {
  const deadline = Date.now() + ms
  let pids = await host.remotePids()
  while (pids.length > 0 && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 200))
    pids = await host.remotePids()
  }
  return pids
}
