/**
 * grid-coordinator's messages about who runs the flow (issue 11, item 5), with the real CLI and bounded
 * waits: a flow pinned to a cluster that no volunteer fills says why and what to do (also with --quiet),
 * and a --spawn start line names the spawned workers, in the singular when there is one.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { runCoordinator, sinkLines } from '../../helpers/cli.js'
import { copyExample } from '../../helpers/example-copy.js'
import { Proc } from '../../helpers/processes.js'

describe('grid-coordinator messages', () => {
  it('a cluster flow without volunteers gives a one-time hint (even with --quiet), and Ctrl-C ends it with 130', async () => {
    const dir = await copyExample('broadcast')
    const coordinator = new Proc('grid-coordinator', [join(dir, 'flow.json'), '--quiet', '--workers', '1', '--listen', '/ip4/127.0.0.1/tcp/0', '--identity', join(dir, 'key')], { cwd: dir })
    try {
      const [hint] = await coordinator.waitFor(/hint: .*\n?/, 20_000)
      assert.match(hint, /cluster "workers" has 0 of 2 members: embedded workers never join clusters, only network workers do/)
      assert.match(hint, /add --spawn 2 \(local grid-worker processes\)/)
      assert.match(hint, /or let volunteers join: npx --no-install grid-worker --bootstrap \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
      await new Promise(resolve => setTimeout(resolve, 500))
      assert.equal(coordinator.output.match(/hint:/g)?.length, 1, 'said once')
      assert.doesNotMatch(coordinator.output, /listening on|running flow/, '--quiet: nothing but the hint')
      const { code } = await coordinator.stop('SIGINT')
      assert.equal(code, 130, coordinator.output)
      assert.match(coordinator.output, /interrupted \(no job had finished: nothing to resume\)/)
    } finally {
      await coordinator.stop('SIGKILL')
    }
  })

  it('--spawn 1: the start line names one spawned worker (singular), no hint once the cluster is full', async () => {
    const dir = await copyExample('first-ten-distributed')
    const result = await runCoordinator([join(dir, 'flow.json'), '--spawn', '1'], { cwd: dir, timeoutMs: 60_000 })
    assert.equal(result.code, 0, result.stderr.slice(-3000))
    assert.equal(sinkLines(result.stdout, 'worker/0').length, 10)
    assert.match(result.stderr, /^edge-grid: running flow "first-ten-distributed" on 1 spawned worker$/m)
    assert.match(result.stderr, /^waiting for 1 spawned worker to join…$/m)
    assert.match(result.stderr, /^done: 10 jobs in .* on 1 network worker$/m)
    assert.doesNotMatch(result.stderr, /\b1 workers\b|embedded workers and any volunteers|hint:/)
  })

  it('--spawn 2 with embedded workers too: both named', async () => {
    const dir = await copyExample('broadcast')
    const result = await runCoordinator([join(dir, 'flow.json'), '--spawn', '2', '--workers', '1'], { cwd: dir, timeoutMs: 60_000 })
    assert.equal(result.code, 0, result.stderr.slice(-3000))
    assert.match(result.stderr, /^edge-grid: running flow "broadcast" on 1 embedded worker and 2 spawned workers$/m)
  })
})
