/**
 * The Coordinator as a library, in this process with embedded workers only: a run reports its steps as typed
 * events and returns its summary; its AbortSignal interrupts it (CoordinatorInterruptedError, the journal
 * kept for a resume) without a process exit; stop() is safe to repeat.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { access, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeValue } from '../../../core/codec.js'
import type { SinkWriter } from '../../../core/run/flow-run.js'
import { Coordinator } from '../../../node-peer/coordinator/coordinator.js'
import { CoordinatorInterruptedError } from '../../../node-peer/coordinator/errors.js'
import type { CoordinatorEvents } from '../../../node-peer/coordinator/events.js'
import { loadFlowPlan } from '../../../node-peer/coordinator/flow-plan.js'
import { copyExample } from '../../helpers/example-copy.js'

/** Sinks that keep every item in memory, by sink name. */
function memorySinks (): { items: Map<string, unknown[]>, openSink: () => (spec: { name: string }) => Promise<SinkWriter> } {
  const items = new Map<string, unknown[]>()
  return {
    items,
    openSink: () => async spec => {
      const got: unknown[] = []
      items.set(spec.name, got)
      return { keepsWrites: true, async write (batch) { for (const b of batch) got.push(decodeValue(b)) }, async close () {} }
    }
  }
}

function record (coordinator: Coordinator): string[] {
  const seen: string[] = []
  const types: Array<keyof CoordinatorEvents> = ['log', 'run:started', 'run:running', 'run:done', 'run:failed', 'network:listening']
  for (const type of types) coordinator.addEventListener(type, () => { seen.push(type) })
  return seen
}

describe('Coordinator', () => {
  it('runs a flow on embedded workers, with typed events and a summary', async () => {
    const dir = await copyExample('fibonacci-wat')
    const sinks = memorySinks()
    const coordinator = new Coordinator({ openSink: sinks.openSink() })
    const seen = record(coordinator)
    let started: CoordinatorEvents['run:started']['detail'] | undefined
    coordinator.addEventListener('run:started', evt => { started = evt.detail })
    try {
      const run = await coordinator.prepare(await loadFlowPlan(join(dir, 'flow.json')))
      await coordinator.start({ workers: 1 })
      const { summary, journalKept } = await coordinator.run(run)
      assert.equal(summary.ok, true)
      assert.equal(journalKept, false)
      assert.deepEqual(seen, ['run:started', 'run:running', 'run:done'])
      assert.deepEqual(started, { runId: run.runId, flow: 'fibonacci-wat', embeddedWorkers: 1, spawnedWorkers: 0, volunteers: false, verified: [] })
      const numbers = sinks.items.get('numbers')!
      assert.deepEqual(numbers.slice(0, 6), [0, 1, 1, 2, 3, 5])
      assert.equal(coordinator.progress(), undefined, 'no run going on')
    } finally {
      await coordinator.stop()
      await coordinator.stop()
    }
  })

  it('its AbortSignal interrupts a run: CoordinatorInterruptedError, the journal kept for --resume', async () => {
    const dir = await copyExample('collatz')
    const flowPath = join(dir, 'flow.json')
    const flow = JSON.parse(await readFile(flowPath, 'utf8'))
    flow.sources.starts.end = 300_001 // far more than the test waits for
    await writeFile(flowPath, JSON.stringify(flow, null, 2))
    const sinks = memorySinks()
    const coordinator = new Coordinator({ openSink: sinks.openSink() })
    const journal = join(dir, 'run.journal')
    const abort = new AbortController()
    try {
      const run = await coordinator.prepare(await loadFlowPlan(flowPath), { journal: { path: journal, resume: false, fresh: false } })
      await coordinator.start({ workers: 2 }, { signal: abort.signal })
      const running = coordinator.run(run, { signal: abort.signal })
      const deadline = Date.now() + 60_000
      while ((sinks.items.get('lengths')?.length ?? 0) < 500 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
      assert.ok((coordinator.progress()?.jobsDone ?? 0) > 0)
      abort.abort()
      await assert.rejects(running, (err: unknown) => err instanceof CoordinatorInterruptedError && err.resumable)
      await access(journal)
    } finally {
      await coordinator.stop()
    }
  })
})
