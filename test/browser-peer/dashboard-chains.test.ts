/**
 * The dashboard shows how a run's work is shaped, in Chromium on a real run: examples/chain on a coordinator
 * with one grid-worker process, and a worker whose hello lacks the `chunks` feature (an older grid-worker,
 * driven by hand over the real job protocol on loopback). The run's stages view marks the three stages that
 * run chained and names the chain; a notice line names the old worker and the stage whose work it gets none
 * of. Both stay once the run ended and agree with its summary (`chains`, `workersWithoutChunks`).
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import type { Page } from 'playwright-core'
import { FrameChannel } from '../../core/protocol/frame-channel.js'
import { FEATURE_SIDE_INPUTS, isCoordinatorMessage, JOB_PROTOCOL, JOB_PROTOCOL_VERSION, MAX_JOB_FRAME_BYTES } from '../../core/protocol/job-messages.js'
import type { CoordinatorMessage, WorkerMessage } from '../../core/protocol/job-messages.js'
import { repoRoot } from '../helpers/cli.js'
import { withBrowser } from '../helpers/browser.js'
import { until, withDashboardGrid } from '../helpers/dashboard-grid.js'
import { startNode, waitFor } from '../node-peer/net/nodes.js'

const ARTIFACTS = join(repoRoot, 'test-artifacts')

interface Shape {
  readonly phase: string | undefined
  /** Stages marked chained in the stages view. */
  readonly chained: string[]
  /** The chain lines, stage names space-separated. */
  readonly chains: string[]
  readonly notice?: { readonly count: number, readonly workers: string, readonly text: string }
}

/** The run's shape as the page shows it, read from the rendered DOM. */
async function shape (page: Page): Promise<Shape> {
  return await page.evaluate(() => {
    const run = document.querySelector('[data-run]')
    const notice = run?.querySelector<HTMLElement>('[data-figure="without-chunks"]')
    return {
      phase: run?.getAttribute('data-phase') ?? undefined,
      chained: Array.from(document.querySelectorAll<HTMLElement>('[data-stage][data-chained="true"]')).map(el => el.dataset.stage!),
      chains: Array.from(document.querySelectorAll<HTMLElement>('.run-chain')).map(el => el.dataset.chain!),
      ...(notice != null ? { notice: { count: Number(notice.dataset.count), workers: notice.dataset.workers!, text: notice.textContent ?? '' } } : {})
    }
  })
}

it('marks the stages that run chained and names the worker that gets no chunked work, live and at the end', async () => {
  await mkdir(ARTIFACTS, { recursive: true })
  await withDashboardGrid({ example: 'chain', spawn: 1 }, async ({ coordinator, url, address, run }) => {
    const node = await startNode()
    try {
      // an older worker joins before the run: it is welcomed, asks for work and is told nothing until the run
      const stream = await node.dialProtocol(multiaddr(address), JOB_PROTOCOL)
      const channel = new FrameChannel<CoordinatorMessage, WorkerMessage>(stream, { guard: isCoordinatorMessage, maxFrameBytes: MAX_JOB_FRAME_BYTES })
      const received: CoordinatorMessage[] = []
      channel.onMessage(m => { received.push(m) })
      channel.send({ t: 'hello', v: JOB_PROTOCOL_VERSION, worker: { name: 'old', threads: 1, platform: 'test', labels: [] }, features: [FEATURE_SIDE_INPUTS] })
      await waitFor(() => received.some(m => m.t === 'welcome'), 10_000, 'the old worker to be welcomed')
      channel.send({ t: 'pull', credits: 4 })

      await withBrowser({}, async browser => {
        const { page, errors } = await browser.open(`${url}dashboard`)
        const running = coordinator.run(run)
        running.catch(() => { /* awaited below; a failing check stops the grid, which interrupts it */ })
        const live = await until(async () => {
          const s = await shape(page)
          return s.phase === 'running' && s.notice != null ? s : undefined
        }, 60_000, 'the running run with its notice')
        assert.deepEqual(live.chained, ['square', 'digitsum', 'select'])
        assert.deepEqual(live.chains, ['square digitsum select'])
        assert.deepEqual([live.notice?.count, live.notice?.workers], [1, 'worker/old'])
        assert.match(live.notice?.text ?? '', /^1 worker gets no chunked work \(an older grid-worker\? upgrade it\): worker\/old \(stage "square"\)$/)
        await page.screenshot({ path: join(ARTIFACTS, 'dashboard-chains.png'), fullPage: true })

        const { summary } = await running
        assert.equal(summary.ok, true)
        const end = await until(async () => {
          const s = await shape(page)
          return s.phase === 'done' ? s : undefined
        }, 15_000, 'the run shown as done')
        assert.deepEqual(end.chains, (summary.chains ?? []).map(c => c.join(' ')), 'the chains of the summary')
        assert.equal(end.notice?.count, summary.workersWithoutChunks, 'the count of the summary')
        assert.equal(received.some(m => m.t === 'jobs'), false, 'the old worker was given no job')
        assert.deepEqual(errors, [])
      })
    } finally {
      await node.stop()
    }
  })
})
