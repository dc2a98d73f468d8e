/**
 * RunState with broadcast stages: every member runs every item once; joining and leaving members see what
 * README "Execution semantics" promises.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { flow, list, makeState, Sim, stage, stdout, values } from './run-helpers.js'
import type { Delivered } from './run-helpers.js'
import { JOURNAL_FORMAT } from '../../../core/journal/journal.js'
import { encodeEntry } from '../../../core/journal/journal-codec.js'
import { ResumePoint } from '../../../core/journal/resume-point.js'

const identity = (x: unknown): Array<[number, unknown]> => [[0, x]]

/** `tag → sorted values` of a sink's deliveries. */
function byMember (ds: readonly Delivered[]): Record<string, number[]> {
  const out: Record<string, number[]> = {}
  for (const d of ds) (out[d.tag ?? '(none)'] ??= []).push(d.value as number)
  for (const v of Object.values(out)) v.sort((a, b) => a - b)
  return out
}

const spec = (size?: number): ReturnType<typeof flow> => flow([values('nums', list(0, 10))],
  [stage('show', 'show', ['nums'], { cluster: 'workers', broadcast: true }), stage('plus', 'plus', ['show'])],
  [stdout('out', ['show']), stdout('after', ['plus'])],
  [size == null ? { name: 'workers', labels: [] } : { name: 'workers', labels: [], members: size }])

describe('RunState: broadcast stages', () => {
  it('every item runs once on every member, tagged with the member; the tag follows downstream', () => {
    const state = makeState(spec(2))
    state.workerJoined('worker/0', [])
    state.workerJoined('worker/1', [])
    const sim = new Sim(state, { show: identity, plus: x => [[0, x + 100]] })
    sim.offer('nums', list(0, 10))
    sim.drive(['local', 'worker/0', 'worker/1'])
    assert.deepEqual(byMember(sim.sinks.out), { 'worker/0': list(0, 10), 'worker/1': list(0, 10) })
    assert.deepEqual(byMember(sim.sinks.after), { 'worker/0': list(100, 110), 'worker/1': list(100, 110) })
    assert.deepEqual(Object.keys(sim.ran.show).sort(), ['worker/0', 'worker/1'])
    assert.equal(state.stageCounts().show.done, 20)
  })

  it('a sized cluster starts only when full: the first member alone gets nothing', () => {
    const state = makeState(spec(2))
    const sim = new Sim(state, { show: identity, plus: identity })
    sim.offer('nums', list(0, 10))
    state.workerJoined('worker/0', [])
    assert.equal(sim.take('worker/0').length, 0)
    state.workerJoined('worker/1', [])
    assert.equal(sim.take('worker/0').length, 10)
  })

  it('a member that joins later gets the items handed out after it joined, not the earlier ones', () => {
    const state = makeState(spec())
    state.workerJoined('worker/0', [])
    const sim = new Sim(state, { show: identity, plus: identity })
    sim.offer('nums', list(0, 4), false)
    sim.run('worker/0', sim.take('worker/0')) // items 0..3 handed out to worker/0 only
    state.workerJoined('worker/1', [])
    sim.offer('nums', list(4, 10))
    sim.drive(['worker/0', 'worker/1'])
    assert.deepEqual(byMember(sim.sinks.out), { 'worker/0': list(0, 10), 'worker/1': list(4, 10) })
  })

  it('a member that leaves drops its unfinished copies; the others still get every item', () => {
    const state = makeState(spec(2))
    state.workerJoined('worker/0', [])
    state.workerJoined('worker/1', [])
    const sim = new Sim(state, { show: identity, plus: identity })
    sim.offer('nums', list(0, 10))
    const taken = sim.take('worker/1', 4)
    sim.run('worker/1', taken.slice(0, 2)) // finishes two, holds two, has six queued
    state.release('worker/1')
    sim.drive(['worker/0'])
    assert.deepEqual(byMember(sim.sinks.out), { 'worker/0': list(0, 10), 'worker/1': [0, 1] })
    assert.equal(state.isFinished(), true)
  })

  it('a failed or expired copy is retried on the same member; each (item, member) is delivered once', () => {
    const state = makeState(spec(2))
    state.workerJoined('worker/0', [])
    state.workerJoined('worker/1', [])
    let failures = 0
    const sim = new Sim(state, {
      show: x => { if (x === 3 && failures++ < 2) throw new Error('flaky'); return [[0, x]] },
      plus: identity
    })
    sim.offer('nums', list(0, 10))
    // worker/1 takes a batch and goes silent: its leases expire and the copies come back for it alone
    const stale = sim.take('worker/1', 5)
    assert.equal(state.expireLeases(Number.MAX_SAFE_INTEGER), 5)
    sim.drive(['worker/0', 'worker/1'])
    // late outcomes of the expired jobs are ignored
    for (const job of stale) assert.equal(state.complete({ id: job.id, ok: true, outputs: [] }), undefined)
    assert.deepEqual(byMember(sim.sinks.out), { 'worker/0': list(0, 10), 'worker/1': list(0, 10) })
    assert.equal(state.stageCounts().show.retried, 2)
  })
})

describe('RunState: a stage pinned to the cluster after a broadcast stays on each member', () => {
  const pinnedAfter = (): ReturnType<typeof flow> => flow([values('nums', list(0, 10))],
    [stage('show', 'show', ['nums'], { cluster: 'workers', broadcast: true }), stage('plus', 'plus', ['show'], { cluster: 'workers' }), stage('mix', 'mix', ['nums'], { cluster: 'workers' })],
    [stdout('after', ['plus']), stdout('mixed', ['mix'])],
    [{ name: 'workers', labels: [], members: 2 }])

  it("each member runs the downstream stage on its own copies; untagged items go to any member", () => {
    const state = makeState(pinnedAfter())
    state.workerJoined('worker/0', [])
    state.workerJoined('worker/1', [])
    const sim = new Sim(state, { show: identity, plus: x => [[0, x + 100]], mix: identity })
    sim.offer('nums', list(0, 10))
    // worker/1 asks far more often: without the rule it would run most of worker/0's copies too
    sim.drive(['worker/0', 'worker/1', 'worker/1', 'worker/1'], 1)
    assert.deepEqual(byMember(sim.sinks.after), { 'worker/0': list(100, 110), 'worker/1': list(100, 110) })
    assert.deepEqual((sim.ran.plus['worker/0'] as number[]).sort((a, b) => a - b), list(0, 10), 'worker/0 ran plus on its own copies')
    assert.deepEqual((sim.ran.plus['worker/1'] as number[]).sort((a, b) => a - b), list(0, 10))
    const mixed = Object.values(sim.ran.mix).flat() as number[]
    assert.deepEqual(mixed.sort((a, b) => a - b), list(0, 10), 'untagged work: each item once, on whichever member asked')
    assert.ok((sim.ran.mix['worker/1']?.length ?? 0) > 5, `the member that asks more takes more untagged work: ${JSON.stringify(sim.ran.mix)}`)
  })

  it('a member that leaves hands the work that stayed on it to the other members; nothing is lost or doubled', () => {
    const state = makeState(pinnedAfter())
    state.workerJoined('worker/0', [])
    state.workerJoined('worker/1', [])
    const sim = new Sim(state, { show: identity, plus: x => [[0, x + 100]], mix: identity })
    sim.offer('nums', list(0, 10))
    // worker/0 runs its broadcast copies (and some shared work), then leaves before running plus on them
    sim.run('worker/0', sim.take('worker/0', 1000))
    assert.equal(sim.ran.plus?.['worker/0'], undefined)
    state.release('worker/0')
    sim.drive(['worker/1'])
    // the 10 copies that had stayed on worker/0 ran on worker/1 (whose outputs carry its tag): 20 in all
    assert.deepEqual(byMember(sim.sinks.after), { 'worker/1': [...list(100, 110), ...list(100, 110)].sort((a, b) => a - b) })
    assert.equal(sim.ran.plus['worker/1'].length, 20)
    const mixed = Object.values(sim.ran.mix).flat() as number[]
    assert.deepEqual(mixed.sort((a, b) => a - b), list(0, 10), 'shared work: each item once')
  })
})

describe('RunState: broadcast stages on a resumed run', () => {
  it('replays each member\'s copies from the journal when handed out: no copy runs again, each (member, item) once', () => {
    const fns = { show: identity, plus: (x: number) => [[0, x + 100]] as Array<[number, unknown]> }
    const first = makeState(spec(2), undefined, { journal: true })
    first.workerJoined('worker/0', [])
    first.workerJoined('worker/1', [])
    const whole = new Sim(first, fns)
    whole.offer('nums', list(0, 10))
    whole.drive(['worker/0', 'worker/1'])
    const header = { format: JOURNAL_FORMAT, name: 'broadcast', fingerprint: { flow: '', modules: {}, inputs: {} }, started: 0 }
    const point = new ResumePoint(header, [encodeEntry({ kind: 'jobs', jobs: first.takeJournalRecords() })])

    const resumed = makeState(spec(2), undefined, { resume: point })
    resumed.workerJoined('worker/0', [])
    resumed.workerJoined('worker/1', [])
    const again = new Sim(resumed, fns)
    again.offer('nums', list(0, 10))
    again.drive(['worker/0', 'worker/1'])
    assert.equal(again.ran.show, undefined, 'no broadcast copy ran again')
    assert.equal(again.ran.plus, undefined, 'nor the stage after it')
    assert.deepEqual(byMember(again.sinks.out), byMember(whole.sinks.out))
    assert.deepEqual(byMember(again.sinks.after), byMember(whole.sinks.after))
    assert.equal(resumed.stageCounts().show.replayed, 20)
    assert.equal(resumed.isFinished(), true)
  })
})
