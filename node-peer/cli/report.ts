/** `--report FILE`: a run's summary as JSON, the same for a local run and a submitted one. */
import { writeFile } from 'node:fs/promises'
import type { RunSummary } from '../../core/run/flow-run.js'

export async function writeReport (path: string, flow: string, workers: number, summary: RunSummary): Promise<void> {
  const report = {
    flow,
    ok: summary.ok,
    workers,
    wallMs: Math.round(summary.wallMs),
    jobs: { done: summary.jobsDone, failed: summary.jobsFailed, retried: summary.jobsRetried },
    perWorker: summary.perWorker,
    stages: summary.stages,
    ...(summary.clusters != null ? { clusters: summary.clusters } : {}),
    ...(summary.verification != null ? { verification: summary.verification } : {}),
    ...(summary.workersWithoutChunks != null ? { workersWithoutChunks: summary.workersWithoutChunks } : {}),
    ...(summary.chains != null ? { chains: summary.chains } : {}),
    ...(summary.resumed != null ? { resumed: summary.resumed } : {}),
    failures: summary.failure != null ? [summary.failure] : []
  }
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`)
}
