/**
 * Where services run. `LocalHost` is this machine (child processes of this one); `SshHost` is a machine
 * reached over SSH (ssh.ts): checked (Node ≥ 20), given a fresh folder (`mktemp -d`) with the worker program
 * in it, and cleaned up at the end.
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { DeployUsageError, HostUnavailableError } from './errors.js'
import { remoteCommand } from './remote-wrapper.js'
import { LocalProcess, RemoteProcess } from './service-process.js'
import type { ServiceOutput, ServiceProcess } from './service-process.js'
import { shQuote, SshTarget } from './ssh.js'
import type { SshInit } from './ssh.js'
import { LOCAL_COORDINATOR_BIN, LOCAL_WORKER_BIN, MIN_NODE_MAJOR, REMOTE_WORKER_FILE, workerUploadFile } from './worker-program.js'

/** What a host starts: a program of the package with arguments, and secrets handed over in its environment. */
export interface ProgramStart {
  readonly program: 'worker' | 'coordinator'
  readonly args: readonly string[]
  readonly secrets: Readonly<Record<string, string>>
}

export interface Host {
  /** Shown in prefixes (`[worker/3@NAME]`) and in the progress tree. */
  readonly name: string
  /** The folder made for this deployment on the host (modules cache, uploads), once prepared. */
  readonly folder: string | undefined
  /** The address this host reaches the deploying machine at (undefined: loopback, the same machine). */
  readonly reachesUsAt: string | undefined
  /** Checks the host and makes its folder (with `secrets` as files); `scratch` is a local temporary folder. */
  prepare (scratch: string, secrets: Readonly<Record<string, string>>): Promise<void>
  /** Starts a program; its lines go to `output`. */
  start (what: ProgramStart, output: ServiceOutput): ServiceProcess
  /** Removes the folder. */
  cleanup (): Promise<void>
}

export class LocalHost implements Host {
  readonly name = 'localhost'
  readonly reachesUsAt = undefined
  folder: string | undefined

  async prepare (scratch: string): Promise<void> {
    this.folder = scratch // removed with the deployment's scratch folder
  }

  start ({ program, args, secrets }: ProgramStart, output: ServiceOutput): ServiceProcess {
    const bin = program === 'worker' ? LOCAL_WORKER_BIN : LOCAL_COORDINATOR_BIN
    return new LocalProcess(spawn(process.execPath, [bin, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // a process group of its own: a terminal's Ctrl-C reaches the deployment, which stops services in order
      detached: true,
      env: { ...process.env, ...secrets }
    }), output)
  }

  async cleanup (): Promise<void> {}
}

export interface SshHostInit extends SshInit {
  /** Shown in prefixes and the progress tree (default: `host`). */
  readonly name?: string
  /** The node binary on the host (default `node`, found on the login PATH). */
  readonly node?: string
}

export class SshHost implements Host {
  readonly name: string
  readonly target: SshTarget
  folder: string | undefined
  reachesUsAt: string | undefined
  private secretFiles: Record<string, string> = {}

  constructor (readonly init: SshHostInit) {
    this.name = init.name ?? init.host
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(this.name)) throw new DeployUsageError(`d.ssh(): name "${this.name}" must be 1-64 letters, digits, '.', ':', '_' or '-'`)
    this.target = new SshTarget(init, this.name)
  }

  private get node (): string {
    return this.init.node ?? 'node'
  }

  async prepare (scratch: string, secrets: Readonly<Record<string, string>>): Promise<void> {
    await this.target.pinHostKey(scratch)
    const node = shQuote(this.node)
    const probe = await this.target.run([
      'printf "%s\\n" "$SSH_CONNECTION"',
      `if command -v ${node} >/dev/null 2>&1; then ${node} -e 'process.stdout.write(process.versions.node + "\\n")'; else echo none; fi`,
      'mktemp -d "${TMPDIR:-/tmp}/edge-grid-deploy.XXXXXXXX"'
    ].join('; '))
    const [connection = '', version = '', folder = ''] = probe.stdout.split('\n').map(l => l.trim())
    if (folder !== '' && folder.startsWith('/')) this.folder = folder
    const [major] = version.split('.').map(Number)
    if (version === 'none' || !(major >= MIN_NODE_MAJOR)) {
      const found = version === 'none' || version === '' ? `no "${this.node}" on the login PATH` : `Node.js ${version}`
      throw new HostUnavailableError(this.name, `needs Node.js ${MIN_NODE_MAJOR} or newer to run workers, found ${found}. Install Node.js ≥ ${MIN_NODE_MAJOR} there (e.g. from nodejs.org or NodeSource), or give its path: d.ssh({ …, node: '/path/to/node' })`)
    }
    if (this.folder == null) throw new HostUnavailableError(this.name, `could not make a folder with mktemp -d (${probe.stderr.trim() || probe.stdout.trim()})`)
    this.reachesUsAt = connection.split(' ')[0] || undefined
    await this.upload(await readFile(await workerUploadFile()), REMOTE_WORKER_FILE)
    for (const [name, value] of Object.entries(secrets)) {
      const file = `.${name.toLowerCase()}`
      await this.upload(value, file)
      this.secretFiles[name] = file
    }
  }

  private async upload (content: string | Uint8Array, file: string): Promise<void> {
    const path = `${this.folder!}/${file}`
    const r = await this.target.run(`umask 077 && cat > ${shQuote(path)}`, content)
    if (r.code !== 0) throw new HostUnavailableError(this.name, `could not write ${path} (${r.stderr.trim() || `exit ${String(r.code)}`})`)
  }

  start ({ program, args }: ProgramStart, output: ServiceOutput): ServiceProcess {
    if (program !== 'worker') throw new DeployUsageError(`${this.name}: only workers run on SSH hosts (they get the self-contained worker file); run the coordinator on d.localhost()`)
    const command = remoteCommand({ dir: this.folder!, node: this.node, file: REMOTE_WORKER_FILE, args, secretFiles: this.secretFiles })
    return new RemoteProcess(this.target, this.target.spawn(command), output)
  }

  async cleanup (): Promise<void> {
    const folder = this.folder
    if (folder == null) return
    // only ever the folder mktemp made
    if (!/\/edge-grid-deploy\.[A-Za-z0-9]+$/.test(folder)) return
    const r = await this.target.run(`rm -rf ${shQuote(folder)}`)
    if (r.code !== 0) throw new HostUnavailableError(this.name, `could not remove ${folder} (${r.stderr.trim()})`)
    this.folder = undefined
  }
}
