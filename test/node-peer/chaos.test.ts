/**
 * Chaos (issue 6): a 100,000-item flow (test/fixtures/chaos: a CPU-bound map into a JSONL sink, and a
 * bucketing map into a keyed sum) runs on two real `grid-worker` processes while the test SIGKILLs a random
 * worker every 1-2.5 s and restarts it under the same name, and SIGKILLs the coordinator once, when 30-50 % of
 * the results are written, then starts it again with `--resume`. Both sinks must equal an independent
 * computation exactly: every item once, nothing lost, nothing twice. Times only decide WHEN to kill; the
 * kill schedule comes from a seeded PRNG (CHAOS_SEED=<n> replays one).
 */
import { after, before, describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import { checkCounts, checkResults, countLines, expectedHashes, ITEMS, prepareChaosFixture } from '../helpers/chaos.js'
import type { ChaosFixture } from '../helpers/chaos.js'
import { Proc } from '../helpers/processes.js'
import { freePort } from './net/nodes.js'

const WORKERS = 2
/** Upper bound on worker kills (the loop also stops when the run ends). */
const MAX_WORKER_KILLS = 12
/** Bounds for any one wait: a join, the coordinator's first 30-50 %, the resumed run. */
const JOIN_MS = 30_000
const RUN_MS = 360_000
/** A run that does no job for this long is stuck, not slow (the machine may be busy: the bounds are loose). */
const STALL_MS = 60_000

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** mulberry32: a small seeded PRNG, so a failing kill schedule can be replayed. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The job count of a coordinator's last progress line (printed every 5 s), or -1 before the first. */
function jobsDone (coordinator: Proc): number {
  const matches = [...coordinator.output.matchAll(/│ ([\d,]+) jobs │/g)]
  return matches.length === 0 ? -1 : Number(matches[matches.length - 1][1].replaceAll(',', ''))
}

/**
 * Resolves when the coordinator exits. Fails, after SIGKILLing it, when its job count stays the same for
 * STALL_MS (a stall, however slow the machine) or after `ms` in all; `more` adds what else to show then.
 * (Result lines are no measure here: a resumed run first replays or runs again what its sinks then skip.)
 */
async function exitWhileProgressing (coordinator: Proc, ms: number, more: () => string): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  const started = Date.now()
  let done = -1
  let changed = started
  for (;;) {
    const exited = await Promise.race([coordinator.exited, sleep(1000)])
    if (exited != null) return exited
    const now = Date.now()
    if (jobsDone(coordinator) !== done) {
      done = jobsDone(coordinator)
      changed = now
    }
    const why = now - changed > STALL_MS ? `did no job for ${STALL_MS} ms (${done} done)` : now - started > ms ? `did not finish within ${ms} ms` : undefined
    if (why != null) {
      coordinator.kill('SIGKILL')
      throw new Error(`${coordinator.bin} ${why}; output:\n${coordinator.output.slice(-3000)}\n${more()}`)
    }
  }
}

describe('chaos: workers SIGKILLed and restarted, the coordinator SIGKILLed once and resumed', () => {
  let fx: ChaosFixture
  let hashes: Uint32Array
  let coordinatorArgs: string[]
  let bootstrap: string
  /** every process this suite started, for cleanup whatever happens */
  const started: Proc[] = []

  before(async () => {
    fx = await prepareChaosFixture()
    hashes = expectedHashes(fx.rounds)
    const identity = join(fx.dir, 'coordinator.key')
    const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
    const tcp = await freePort()
    bootstrap = `/ip4/127.0.0.1/tcp/${tcp}/p2p/${peerId.toString()}`
    coordinatorArgs = [fx.flow, '--workers', '0', '--identity', identity, '--listen', `/ip4/127.0.0.1/tcp/${tcp}`,
      '--wait-workers', String(WORKERS), '--report', join(fx.dir, 'report.json')]
  })

  after(async () => {
    await Promise.all(started.map(async p => await p.stop('SIGKILL')))
  })

  const start = (bin: string, args: string[]): Proc => {
    const p = new Proc(bin, args, { cwd: fx.dir })
    started.push(p)
    return p
  }
  const startWorker = (i: number): Proc => start('grid-worker',
    ['--bootstrap', bootstrap, '--threads', '1', '--name', `w${i}`, '--cache', join(fx.dir, `cache-${i}`)])

  it('both sinks equal the independent computation exactly; the resumed run replays the journal', { timeout: 900_000 }, async (t: TestContext) => {
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31))
    const random = prng(seed)
    const t0 = Date.now()
    const log = (what: string): void => t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`)
    log(`seed ${seed} (CHAOS_SEED=${seed} replays this kill schedule), ${fx.rounds} rounds per item, dir ${fx.dir}`)

    const workers = Array.from({ length: WORKERS }, (_, i) => startWorker(i))
    let coordinator = start('grid-coordinator', coordinatorArgs)
    for (let i = 0; i < WORKERS; i++) await coordinator.waitFor(new RegExp(`\\+ worker/w${i} joined`), JOIN_MS)
    log('both workers joined')

    // Worker chaos: one worker down at a time, so the other one keeps the run going most of the time.
    let finished = false
    let workerKills = 0
    const workerChaos = (async () => {
      while (workerKills < MAX_WORKER_KILLS && !finished) {
        await sleep(1000 + random() * 1500)
        if (finished) break
        const i = Math.floor(random() * WORKERS)
        workers[i].kill('SIGKILL')
        await workers[i].exited
        workerKills++
        log(`SIGKILL worker w${i} (kill ${workerKills})`)
        await sleep(200 + random() * 600)
        workers[i] = startWorker(i)
      }
    })()

    const workerOutputs = (): string => workers.map((w, i) => `worker w${i}:\n${w.output.slice(-1500)}`).join('\n')

    // Coordinator chaos: SIGKILL once 30-50 % of the results are written, then resume. The worker chaos
    // stops whatever happens here, so no worker is started after cleanup.
    let outcome
    try {
      // the run writes results.jsonl.partial, renamed to results.jsonl when it succeeds
      const results = join(fx.dir, 'out', 'results.jsonl.partial')
      const killAt = Math.round(ITEMS * (0.3 + random() * 0.2))
      const deadline = Date.now() + RUN_MS
      let written = 0
      let changed = Date.now()
      for (let last = 0; (written = await countLines(results)) < killAt; last = written) {
        if (written !== last) changed = Date.now()
        assert.ok(Date.now() < deadline, `${killAt} results within ${RUN_MS} ms; coordinator:\n${coordinator.output.slice(-3000)}`)
        assert.ok(Date.now() - changed < STALL_MS, `no result for ${STALL_MS} ms (${written} written); coordinator:\n${coordinator.output.slice(-3000)}\n${workerOutputs()}`)
        const exited = await Promise.race([coordinator.exited, sleep(100)])
        assert.equal(exited, undefined, `the coordinator ran until the kill; it exited early: ${JSON.stringify(exited)}\n${coordinator.output.slice(-3000)}`)
      }
      coordinator.kill('SIGKILL')
      const killed = await coordinator.exited
      const atKill = await countLines(results)
      assert.equal(killed.signal, 'SIGKILL')
      assert.ok(atKill < ITEMS, `the coordinator was killed mid-run (${atKill} of ${ITEMS} results written)`)
      log(`SIGKILL coordinator at ${written} results (target ${killAt}; ${atKill} after exit)`)

      coordinator = start('grid-coordinator', [...coordinatorArgs, '--resume'])
      outcome = await exitWhileProgressing(coordinator, RUN_MS, workerOutputs)
    } finally {
      finished = true
      await workerChaos
    }
    log(`resumed coordinator exited ${JSON.stringify(outcome)} after ${workerKills} worker kills`)
    assert.equal(outcome.code, 0, `the resumed run exits 0; output:\n${coordinator.output.slice(-3000)}`)

    await checkResults(fx.dir, hashes)
    await checkCounts(fx.dir, hashes)
    const report = JSON.parse(await readFile(join(fx.dir, 'report.json'), 'utf8')) as { stages: Record<string, { done: number, replayed?: number }> }
    log(`report stages ${JSON.stringify(report.stages)}`)
    // `done` counts replayed jobs too: every item once per map stage, some of them from the journal
    for (const stage of ['work', 'bucket']) assert.equal(report.stages[stage].done, ITEMS, `${stage}: ${JSON.stringify(report.stages[stage])}`)
    // `work` reads the range as chunks: the resumed run replays the journaled ones and cuts only the gaps;
    // `bucket`, per item downstream of it, takes what the journal holds
    for (const stage of ['work', 'bucket']) {
      const replayed = report.stages[stage].replayed ?? 0
      assert.ok(replayed > 0 && replayed < ITEMS, `the resumed run took some ${stage} jobs from the journal and ran the rest: ${JSON.stringify(report.stages[stage])}`)
    }
    assert.ok(workerKills >= 2, `the chaos happened: ${workerKills} worker kills during the run`)
    const journals = await readdir(join(fx.dir, '.edge-grid', 'journals')).catch(() => [])
    assert.deepEqual(journals, [], 'the journal is deleted once the run ends by itself')
  })
})
