/**
 * Preloaded into every process the bench spawns (`node --import …/probe.js`): when the process exits it
 * writes its peak resident set (getrusage maxrss: the whole process, worker threads included) and CPU time
 * to the file named by EDGE_GRID_BENCH_PROBE. Nothing else changes in the process.
 */
import { writeFileSync } from 'node:fs'

const file = process.env.EDGE_GRID_BENCH_PROBE
if (file != null && file !== '') {
  process.on('exit', () => {
    const usage = process.resourceUsage()
    const report: ProbeReport = { maxRssKiB: usage.maxRSS, userMs: usage.userCPUTime / 1000, systemMs: usage.systemCPUTime / 1000 }
    try {
      writeFileSync(file, JSON.stringify(report))
    } catch { /* the bench falls back to /proc polling */ }
  })
}

export interface ProbeReport {
  readonly maxRssKiB: number
  readonly userMs: number
  readonly systemMs: number
}
