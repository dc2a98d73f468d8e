/**
 * `grid-coordinator --spawn N`: a local deployment in one command. The coordinator starts N real grid-worker
 * processes on 127.0.0.1, prefixes their output, waits for them, and stops them at the end; when the
 * coordinator is killed outright, its workers leave by themselves (their stdin pipe closes).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCoordinator } from '../helpers/cli.js'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import { Proc } from '../helpers/processes.js'

/** Command lines of running processes that mention `text` (the coordinator's peer id is in every worker's). */
function processesMentioning (text: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
  return out.split('\n').filter(l => l.includes(text) && l.includes('grid-worker'))
}

async function waitUntilGone (text: string, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms
  let left = processesMentioning(text)
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 100))
    left = processesMentioning(text)
  }
  return left
}

describe('grid-coordinator --spawn', () => {
  it('runs primes on two spawned workers, prefixes their output, and stops them at the end', async () => {
    const run = await copyExample('primes')
    const result = await runCoordinator([join(run, 'flow.json'), '--spawn', '2', '--report', join(run, 'report.json')], { timeoutMs: 90_000 })
    assert.equal(result.code, 0, result.stderr.slice(-3000))
    const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
    await checkExample('primes', run, result.stdout, report)
    assert.equal(report.perWorker.local, undefined, '--spawn implies no embedded workers')
    assert.ok(report.perWorker['worker/0'] > 0 && report.perWorker['worker/1'] > 0, JSON.stringify(report.perWorker))
    for (const i of [0, 1]) {
      assert.match(result.stderr, new RegExp(`\\+ worker/${i} joined`))
      assert.match(result.stderr, new RegExp(`^\\[worker/${i}\\] joined flow "primes"$`, 'm'))
      assert.match(result.stderr, new RegExp(`^\\[worker/${i}\\] left; [\\d,]+ jobs? done$`, 'm'), 'stopped gracefully (SIGINT)')
    }
    assert.doesNotMatch(result.stderr, /\[worker\/0\] \[worker\/0\]/, 'one prefix per line')
    const listening = result.stderr.match(/listening on (\S+)/)
    assert.ok(listening != null)
    assert.match(listening[1], /^\/ip4\/127\.0\.0\.1\/tcp\//, 'loopback only by default')
    const peerId = listening[1].split('/p2p/')[1]
    assert.deepEqual(processesMentioning(peerId), [], 'no spawned worker outlives the coordinator')
  })

  it('spawned workers leave by themselves when the coordinator is killed with SIGKILL', async () => {
    const run = await copyExample('primes')
    const coordinator = new Proc('grid-coordinator', [join(run, 'flow.json'), '--spawn', '2'])
    try {
      const [, peerId] = await coordinator.waitFor(/listening on \S+\/p2p\/(\S+)/)
      await coordinator.waitFor(/\+ worker\/0 joined[\s\S]*\+ worker\/1 joined|\+ worker\/1 joined[\s\S]*\+ worker\/0 joined/)
      assert.equal(processesMentioning(peerId).length, 2)
      coordinator.kill('SIGKILL')
      await coordinator.exited
      assert.deepEqual(await waitUntilGone(peerId, 20_000), [])
    } finally {
      coordinator.kill('SIGKILL')
      await coordinator.exited
    }
  })

  it('refuses --spawn with --local-only (exit 2)', async () => {
    const run = await copyExample('primes')
    const result = await runCoordinator([join(run, 'flow.json'), '--spawn', '2', '--local-only'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /--local-only cannot be combined with --spawn/)
  })
})
