/**
 * `grid-deploy` as a user types it (`npx --no-install grid-deploy …` in a project that installed edge-grid):
 * help, usage mistakes (exit 2), a script that throws (exit 1) or forgets d.stop() (grid-deploy stops its
 * services either way: no process is left).
 */
import assert from 'node:assert/strict'
import { copyFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { repoRoot } from '../../helpers/cli.js'
import { deployProject, exitWithin, startGridDeploy } from '../../helpers/deploy-project.js'

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('grid-deploy', { timeout: 180_000 }, () => {
  let project: string
  before(async () => {
    project = await deployProject()
    for (const f of ['forgets-stop.mjs', 'declares-wrongly.mjs']) await copyFile(join(repoRoot, 'test', 'fixtures', 'deploy', f), join(project, f))
  })
  after(async () => { if (project != null) await rm(project, { recursive: true, force: true }) })

  async function gridDeploy (args: string[]): Promise<{ code: number | null, output: string }> {
    const proc = startGridDeploy(project, args[0], args.slice(1))
    const code = await exitWithin(proc, 120_000)
    return { code, output: proc.output }
  }

  it('--help says how to use it, with the exit codes', async () => {
    const { code, output } = await gridDeploy(['--help'])
    assert.equal(code, 0)
    assert.match(output, /^Usage: grid-deploy <script\.mjs> \[script arguments\.\.\.\]/)
    assert.match(output, /import \{ Deployment \} from 'edge-grid\/deploy'/)
    assert.match(output, /130 interrupted/)
  })

  it('a missing script or an option instead of one is a usage error (exit 2)', async () => {
    const missing = await gridDeploy(['nope.mjs'])
    assert.equal(missing.code, 2)
    assert.match(missing.output, /^grid-deploy: nope\.mjs: no such file\nRun grid-deploy --help for usage\./)
    const option = await gridDeploy(['--fast', 'x.mjs'])
    assert.equal(option.code, 2)
    assert.match(option.output, /grid-deploy: unknown option --fast/)
  })

  it('a mistake in the declaration is a usage error (exit 2) naming it', async () => {
    const { code, output } = await gridDeploy(['declares-wrongly.mjs'])
    assert.equal(code, 2, output)
    assert.match(output, /grid-deploy: DeployUsageError: d\.workers\(\{ on \}\): the host must come from this deployment/)
  })

  for (const how of ['ends', 'throws'] as const) {
    it(`a script that ${how} without d.stop(): grid-deploy stops every service${how === 'throws' ? ', prints the error and exits 1' : ' and exits 0'}`, async () => {
      const { code, output } = await gridDeploy(['forgets-stop.mjs', ...(how === 'throws' ? ['throw'] : [])])
      assert.equal(code, how === 'throws' ? 1 : 0, output)
      if (how === 'throws') assert.match(output, /^grid-deploy: Error: the experiment went wrong$/m)
      const pids = /^pids (\d+) (\d+) (\d+)$/m.exec(output)?.slice(1).map(Number)
      assert.equal(pids?.length, 3, output)
      assert.deepEqual(pids!.map(alive), [false, false, false], 'the coordinator and both workers were stopped')
      assert.match(output, /\[worker\/0@localhost\] left; 0 jobs done/)
      assert.match(output, /\[coordinator@localhost\] stopping/)
    })
  }
})
