/**
 * TEST-ONLY fault injection for grid-worker: lets a multi-process test start a worker that lies, to check
 * that result verification (core/run/verification.ts) catches it. Not a user feature: no CLI flag, not in
 * --help; switched on only by the environment variable below.
 */
import type { Job, JobExecutor, JobOutcome } from '../core/jobs.js'

/** TEST ONLY: when "1", grid-worker flips one byte of every output it returns. */
export const TEST_CORRUPT_RESULTS_ENV = 'EDGE_GRID_TEST_CORRUPT_RESULTS'

/** Returns `executor` unchanged, or (TEST ONLY, env switch set) one whose every output has a byte flipped. */
export function withTestFaults (executor: JobExecutor, env: Readonly<Record<string, string | undefined>>): JobExecutor {
  if (env[TEST_CORRUPT_RESULTS_ENV] !== '1') return executor
  return {
    get slots () { return executor.slots },
    addModule: async (hash, bytes) => { await executor.addModule(hash, bytes) },
    hasModule: hash => executor.hasModule(hash),
    run: async (batch: readonly Job[]): Promise<JobOutcome[]> => (await executor.run(batch)).map(corrupt),
    close: async () => { await executor.close() }
  }
}

function corrupt (outcome: JobOutcome): JobOutcome {
  if (!outcome.ok) return outcome
  const outputs = outcome.outputs.map(o => {
    const bytes = o.bytes.slice()
    if (bytes.length > 0) bytes[bytes.length - 1] ^= 1
    return { port: o.port, bytes }
  })
  // without `packed`: a chunk's packed outputs would go on the wire as they are, uncorrupted
  return {
    id: outcome.id,
    ok: true,
    outputs,
    ...(outcome.ms !== undefined ? { ms: outcome.ms } : {}),
    ...(outcome.emitted !== undefined ? { emitted: outcome.emitted } : {})
  }
}
