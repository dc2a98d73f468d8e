/**
 * A user's project folder for deployment scripts, as `npm install edge-grid` leaves it: node_modules/edge-grid
 * (this checkout) and node_modules/.bin/grid-deploy, so a script imports 'edge-grid/deploy' and the test runs
 * `npx --no-install grid-deploy script.mjs` as a user types it.
 */
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { repoRoot } from './cli.js'
import { Proc } from './processes.js'
import { startSshHost } from './ssh-host.js'
import type { SshTestHost } from './ssh-host.js'

export async function deployProject (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-deploy-project-'))
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'my-experiment', private: true, type: 'module' }, null, 2))
  await mkdir(join(dir, 'node_modules', '.bin'), { recursive: true })
  await symlink(repoRoot.replace(/\/$/, ''), join(dir, 'node_modules', 'edge-grid'))
  await symlink('../edge-grid/node-peer/bin/grid-deploy.js', join(dir, 'node_modules', '.bin', 'grid-deploy'))
  return dir
}

/**
 * `npx --no-install grid-deploy script args…` in `cwd`, inside network namespace `netns` when given.
 * `direct`: the bin npx runs (node_modules/.bin/grid-deploy) without npx, whose own process dies at once on
 * Ctrl-C (the shell then shows npx's status, not grid-deploy's, while grid-deploy is still stopping).
 */
export function startGridDeploy (cwd: string, script: string, args: readonly string[], netns?: string, direct = false): Proc {
  const command = [...(direct ? [process.execPath, join('node_modules', '.bin', 'grid-deploy')] : ['npx', '--no-install', 'grid-deploy']), script, ...args]
  return new Proc('grid-deploy', [], { cwd, command: netns != null ? ['ip', 'netns', 'exec', netns, ...command] : command, group: true })
}

/** Waits (bounded) for `proc` to end by itself; SIGKILLs it and fails, with its output, when it does not. */
export async function exitWithin (proc: Proc, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>(resolve => { timer = setTimeout(() => resolve('timeout'), ms) })
  const ended = await Promise.race([proc.exited, timedOut])
  clearTimeout(timer)
  if (ended === 'timeout') {
    proc.kill('SIGKILL')
    await proc.exited
    throw new Error(`grid-deploy did not finish within ${ms} ms; output:\n${proc.output.slice(-4000)}`)
  }
  return ended.code
}

/** The deployment script the SSH tests run: a coordinator here, two workers on the SSH host (test/fixtures/deploy). */
const SSH_FLOW_SCRIPT = join(repoRoot, 'test', 'fixtures', 'deploy', 'ssh-flow.mjs')

/** A suite's SSH host (ssh-host.ts) and a deploy project holding ssh-flow.mjs. */
export interface SshDeployment {
  readonly host: SshTestHost
  readonly project: string
  /**
   * `grid-deploy ssh-flow.mjs` inside the host's "local" namespace, deploying to it with `hostKey` pinned (a
   * key line, a fingerprint, or '' for known_hosts); `node`: the Node.js the host is said to run; `direct`:
   * see startGridDeploy.
   */
  deploy: (hostKey: string, flow: string, options?: { readonly node?: string, readonly direct?: boolean }) => Proc
}

/**
 * Sets up an SSH host and a deploy project before the enclosing suite's tests (node:test `before`) and removes
 * both after them; call it inside `describe`. Needs root and sshd (the pretest installs it:
 * `node dist/test/setup/ensure-sshd.js`).
 */
export function useSshDeployment (): SshDeployment {
  let host: SshTestHost | undefined
  let project: string | undefined
  before(async () => {
    host = await startSshHost()
    project = await deployProject()
    await copyFile(SSH_FLOW_SCRIPT, join(project, 'ssh-flow.mjs'))
  })
  after(async () => {
    await host?.close()
    if (project != null) await rm(project, { recursive: true, force: true })
  })
  const ready = (): { host: SshTestHost, project: string } => {
    if (host == null || project == null) throw new Error('useSshDeployment: the SSH host is not set up (use it inside a describe, from its tests)')
    return { host, project }
  }
  return {
    get host () { return ready().host },
    get project () { return ready().project },
    deploy: (hostKey, flow, options = {}) => {
      const { host, project } = ready()
      const args = [host.remoteAddress, String(host.port), host.userKey, hostKey, flow, ...(options.node != null ? [options.node] : [])]
      return startGridDeploy(project, 'ssh-flow.mjs', args, host.local, options.direct)
    }
  }
}
