/**
 * A user's project folder for deployment scripts, as `npm install edge-grid` leaves it: node_modules/edge-grid
 * (this checkout) and node_modules/.bin/grid-deploy, so a script imports 'edge-grid/deploy' and the test runs
 * `npx --no-install grid-deploy script.mjs` as a user types it.
 */
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from './cli.js'
import { Proc } from './processes.js'

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
