/**
 * W5 browser: one headless Chromium tab on W3 and W1 against a grid-worker with the same thread count.
 *
 * HOOK: not measured yet. It needs the browser donor page (browser-peer/dist, built by `npm run build:page`)
 * to join a coordinator by address and run jobs, driven through test/helpers/browser.ts. Until that page can
 * be driven headlessly from here, the workload reports itself skipped, with the reason, so the table and
 * the JSON say so instead of leaving it out silently.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from '../lib/proc.js'
import type { BenchContext, WorkloadResult } from '../lib/report.js'

export async function w5Browser (_ctx: BenchContext): Promise<WorkloadResult> {
  const page = join(REPO_ROOT, 'browser-peer', 'dist', 'index.html')
  const helper = join(REPO_ROOT, 'test', 'helpers', 'browser.ts')
  const reason = !existsSync(page) || !existsSync(helper)
    ? 'the browser page (browser-peer/dist) or test/helpers/browser.ts does not exist yet'
    : 'not wired yet: the donor page exists, but the bench does not drive it yet (see bench/workloads/w5-browser.ts)'
  return { id: 'W5', title: 'browser tab', params: {}, figures: {}, ratios: {}, targets: [], notes: [], skipped: reason }
}
