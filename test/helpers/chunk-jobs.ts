/**
 * For tests whose fake workers run jobs in JavaScript: runs a job item by item with `one` (which answers a
 * job of one item), so a chunk (a range or items: core/run/chunk-view.ts) gets the outcome a real executor
 * gives it: every output in item order and the time it took, or the first failure and the index of its item.
 * A chained chunk runs through the sandbox's own chain loop (core/run/chain-chunk.ts), with `one` as each
 * stage's call.
 */
import type { Emitted } from '../../core/abi/abi.js'
import type { Job, JobOutcome } from '../../core/jobs.js'
import { chunkView } from '../../core/run/chunk-view.js'
import { runChainChunk } from '../../core/run/chain-chunk.js'
import { errorFromData } from '../../core/errors.js'

export function perItem (job: Job, one: (job: Job) => JobOutcome, options: PerItemOptions = {}): JobOutcome {
  if (job.chunk == null) return one(job)
  if (job.chain != null) {
    const calls = [job.fn, ...job.chain].map(fn => (input: Uint8Array) => {
      const outcome = one({ id: job.id, fn, input, timeoutMs: job.timeoutMs })
      if (!outcome.ok) throw errorFromData(outcome.error)
      return outcome.outputs
    })
    const result = runChainChunk(chunkView(job.chunk, job.input), calls)
    if (!result.ok) return { id: job.id, ok: false, error: result.error, item: result.item, stage: result.stage }
    return options.timed === false ? { id: job.id, ok: true, outputs: result.outputs, emitted: result.emitted } : { id: job.id, ok: true, outputs: result.outputs, ms: result.ms, emitted: result.emitted }
  }
  const started = performance.now()
  const chunk = chunkView(job.chunk, job.input)
  const outputs: Emitted[] = []
  for (let i = 0; i < chunk.count; i++) {
    const outcome = one({ id: job.id, fn: job.fn, input: chunk.item(i), timeoutMs: job.timeoutMs })
    if (!outcome.ok) return { id: job.id, ok: false, error: outcome.error, item: i }
    outputs.push(...outcome.outputs)
  }
  return options.timed === false ? { id: job.id, ok: true, outputs } : { id: job.id, ok: true, outputs, ms: performance.now() - started }
}

export interface PerItemOptions {
  /**
   * False: the outcome carries no `ms`, so the run never learns a cost per item and its chunks stay one item
   * each (for tests that count jobs: fair shares, ids).
   */
  readonly timed?: boolean
}
