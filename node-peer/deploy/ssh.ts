/**
 * SSH through the system OpenSSH client (`ssh`, Debian's `openssh-client`), not an npm SSH library: it
 * reads the user's ~/.ssh/config, known_hosts and ssh-agent exactly as `ssh` on the command line does (a
 * host that works in the shell works here), it is the best-audited SSH implementation there is, and it
 * adds no native npm dependency. Files are uploaded through `ssh … 'cat > FILE'` rather than scp/sftp, so a
 * host needs no sftp subsystem.
 *
 * Host keys are always checked (StrictHostKeyChecking=yes): against known_hosts, or against the key the
 * script pins (`hostKey`: a public key line or a SHA256 fingerprint), written to a private known_hosts
 * file that is the only one consulted. BatchMode=yes: never a password or passphrase prompt that would hang.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DeployUsageError, HostKeyError, HostUnavailableError } from './errors.js'

export interface SshInit {
  /** Host name or address. */
  readonly host: string
  /** Default 22 (or what ~/.ssh/config says). */
  readonly port?: number
  /** Default: ssh's (the ssh config's User, else the local user name). */
  readonly user?: string
  /** Private key file (default: ssh's: the agent, ~/.ssh/id_*, the ssh config's IdentityFile). */
  readonly identityFile?: string
  /**
   * Pins the host's key instead of reading known_hosts: a public key line (`ssh-ed25519 AAAA…`, as in
   * /etc/ssh/ssh_host_ed25519_key.pub) or a fingerprint (`SHA256:…`, as `ssh-keygen -lf` prints it).
   */
  readonly hostKey?: string
}

export interface SshResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** How long one short command (a check, mkdir, an upload, kill) may take before it counts as failed. */
export const SSH_COMMAND_TIMEOUT_MS = 60_000

/** Quotes a string for a POSIX shell. */
export function shQuote (s: string): string {
  return `'${s.replace(/'/g, '\'\\\'\'')}'`
}

/** A pinned host key: `ssh-ed25519 AAAA… [comment]` (the key) or `SHA256:…` (its fingerprint); undefined if it is neither. */
export function parseHostKey (text: string): { key: string } | { fingerprint: string } | undefined {
  const t = text.trim()
  if (/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(t)) return { fingerprint: t }
  const [type, blob] = t.split(/\s+/)
  if (type == null || blob == null || !/^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)$/.test(type) || !/^[A-Za-z0-9+/]{40,}={0,2}$/.test(blob)) return undefined
  return { key: `${type} ${blob}` }
}

export class SshTarget {
  private knownHosts: string | undefined

  constructor (readonly init: SshInit, readonly name: string) {
    if (init.host === '' || /\s/.test(init.host) || init.host.startsWith('-')) throw new DeployUsageError(`d.ssh(): host "${init.host}" is not a host name or address`)
    if (init.port != null && (!Number.isInteger(init.port) || init.port < 1 || init.port > 65535)) throw new DeployUsageError(`d.ssh({ host: '${init.host}' }): port must be 1-65535, got ${String(init.port)}`)
    if (init.user != null && !/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(init.user)) throw new DeployUsageError(`d.ssh({ host: '${init.host}' }): user "${init.user}" is not a user name`)
    if (init.hostKey != null && parseHostKey(init.hostKey) == null) {
      throw new DeployUsageError(`d.ssh({ host: '${init.host}' }): hostKey must be a public key line ("ssh-ed25519 AAAA…", from the host's /etc/ssh/ssh_host_*_key.pub) or a fingerprint ("SHA256:…", from ssh-keygen -lf), got "${init.hostKey.slice(0, 40)}"`)
    }
  }

  /** Writes the private known_hosts file when the script pinned the host key (fetching the key by fingerprint). */
  async pinHostKey (scratch: string): Promise<void> {
    const { hostKey } = this.init
    if (hostKey == null) return
    // under an alias: the entry matches whatever port or address ~/.ssh/config resolves the host to
    const entry = this.hostKeyAlias
    const pinned = parseHostKey(hostKey)!
    const keys = 'fingerprint' in pinned ? await this.keysWithFingerprint(pinned.fingerprint) : [pinned.key]
    this.knownHosts = join(scratch, `known_hosts-${this.name.replace(/[^A-Za-z0-9.-]/g, '_')}`)
    await writeFile(this.knownHosts, keys.map(k => `${entry} ${k}\n`).join(''), { mode: 0o600 })
  }

  private get hostKeyAlias (): string {
    return `edge-grid-pinned-${this.name.replace(/[^A-Za-z0-9.-]/g, '_')}`
  }

  get port (): number {
    return this.init.port ?? 22
  }

  /** Options given to every ssh call. */
  private options (): string[] {
    return [
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes',
      ...(this.knownHosts != null ? ['-o', `UserKnownHostsFile=${this.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', `HostKeyAlias=${this.hostKeyAlias}`] : []),
      '-o', 'ConnectTimeout=15',
      // a host that stops answering is noticed within ~15 s, and its services are reported lost
      '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3',
      '-o', 'LogLevel=ERROR',
      ...(this.init.identityFile != null ? ['-i', this.init.identityFile, '-o', 'IdentitiesOnly=yes'] : []),
      ...(this.init.port != null ? ['-p', String(this.init.port)] : []),
      ...(this.init.user != null ? ['-l', this.init.user] : [])
    ]
  }

  /** Starts `command` (a POSIX shell command line) on the host; its stdin, stdout and stderr are pipes. */
  spawn (command: string): ChildProcess {
    // detached: a terminal's Ctrl-C must not cut the connections the deployment needs to stop its services
    return spawn('ssh', [...this.options(), '--', this.init.host, command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  }

  /** Runs a short command to its end (bounded); `input` goes to its stdin. Fails with a clear error when ssh itself fails. */
  async run (command: string, input?: string | Uint8Array, timeoutMs = SSH_COMMAND_TIMEOUT_MS): Promise<SshResult> {
    const child = this.spawn(command)
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    child.stdin!.on('error', () => {}) // a command that does not read its input
    child.stdin!.end(input)
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once('error', err => { reject(this.unavailable(`cannot run ssh (${err.message}); install the OpenSSH client (Debian: apt-get install openssh-client)`)) })
        child.once('close', c => resolve(c))
      })
      if (code === 255) throw this.sshFailure(stderr)
      if (code == null) throw this.unavailable(`"${command.slice(0, 80)}" did not finish within ${timeoutMs / 1000} s`)
      return { code, stdout, stderr }
    } finally {
      clearTimeout(timer)
    }
  }

  /** Turns ssh's own failure (exit 255) into a typed error that says what to do. */
  sshFailure (stderr: string): Error {
    const said = stderr.trim().split('\n').filter(l => l !== '' && !/^@+$|^@ /.test(l)).slice(-4).join(' / ')
    if (/Host key verification failed|host key for .* has changed|No .* host key is known/i.test(stderr)) {
      const where = this.knownHosts != null ? 'the hostKey given in d.ssh()' : 'known_hosts (~/.ssh/known_hosts)'
      return new HostKeyError(this.name, `the host's key does not match ${where}, or the host is unknown there: the connection was refused (ssh: ${said}). Check the key on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then add it to known_hosts or pass it as hostKey`)
    }
    if (/Permission denied/i.test(stderr)) {
      return this.unavailable(`login refused (${said}): the deployment logs in with a key only (BatchMode); check user${this.init.user != null ? ` "${this.init.user}"` : ''} and identityFile${this.init.identityFile != null ? ` ${this.init.identityFile}` : ''} (its public key in the host's authorized_keys)`)
    }
    return this.unavailable(`ssh failed: ${said !== '' ? said : 'exit 255'}`)
  }

  private unavailable (message: string): HostUnavailableError {
    return new HostUnavailableError(this.name, message)
  }

  /** The host's keys (ssh-keyscan) whose SHA256 fingerprint is `fingerprint`; none is a HostKeyError naming what was seen. */
  private async keysWithFingerprint (fingerprint: string): Promise<string[]> {
    const scan = spawn('ssh-keyscan', ['-T', '10', '-p', String(this.port), this.init.host], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    scan.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
    scan.stderr.resume()
    await new Promise<void>((resolve, reject) => {
      scan.once('error', err => { reject(this.unavailable(`cannot run ssh-keyscan (${err.message}); install the OpenSSH client`)) })
      scan.once('close', () => resolve())
    })
    const seen: string[] = []
    const keys: string[] = []
    for (const line of out.split('\n')) {
      const [, type, blob] = line.trim().split(/\s+/)
      if (line.startsWith('#') || type == null || blob == null) continue
      const fp = `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`
      seen.push(`${type} ${fp}`)
      if (fp === fingerprint.replace(/=+$/, '')) keys.push(`${type} ${blob}`)
    }
    if (seen.length === 0) throw this.unavailable(`could not read its host keys (ssh-keyscan -p ${this.port} ${this.init.host} found none): is sshd running there?`)
    if (keys.length === 0) throw new HostKeyError(this.name, `none of the host's keys has the fingerprint ${fingerprint} given as hostKey (it has ${seen.join(', ')}): the connection was refused. Check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)`)
    return keys
  }
}
