/**
 * The progress line (node-peer/cli/progress.ts) with a hand-driven clock: counts singular and plural, no
 * rate on the first frames (a few jobs over a few ms are not a throughput), then a rate, which decays when
 * jobs stop. No timers run: `frame()` is called directly.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { RunProgress } from '../../../core/run/flow-run.js'
import { noun, plural } from '../../../core/util/plural.js'
import { formatClusters, formatProgress, MIN_RATE_WINDOW_MS, NO_RATE, ProgressDisplay, RateMeter } from '../../../node-peer/cli/progress.js'
import type { ProgressTotals } from '../../../node-peer/cli/progress.js'
import type { Terminal } from '../../../node-peer/cli/terminal.js'

const terminal = { statusIsTty: false, status () {}, log () {}, clearStatus () {} } as unknown as Terminal

/** A display over a settable job count, worker count and clock. */
function display (workers = 1): { show: ProgressDisplay, set: (jobs: number, atMs: number) => void, setWorkers: (n: number) => void } {
  let jobs = 0
  let now = 10_000
  let w = workers
  const show = new ProgressDisplay(terminal, 'primes', (): ProgressTotals => ({ jobsDone: jobs, jobsOut: 0, queued: 0 }), () => w, () => now)
  return { show, set: (j, at) => { jobs = j; now = 10_000 + at }, setWorkers: n => { w = n } }
}

const parts = (line: string): string[] => line.split(' │ ')

describe('plural helper', () => {
  it('says 1 worker, 0 workers, 2 workers, 1,500 jobs; takes an irregular plural', () => {
    assert.equal(plural(1, 'worker'), '1 worker')
    assert.equal(plural(0, 'worker'), '0 workers')
    assert.equal(plural(2, 'worker'), '2 workers')
    assert.equal(plural(1500, 'job'), '1,500 jobs')
    assert.equal(plural(1, 'batch', 'batches'), '1 batch')
    assert.equal(plural(3, 'batch', 'batches'), '3 batches')
    assert.equal(noun(1, 'thread'), 'thread')
    assert.equal(noun(4, 'thread'), 'threads')
  })
})

describe('progress line', () => {
  it('1 job, 1 worker: singular; 2 jobs, 2 workers: plural', () => {
    const d = display(1)
    d.set(1, 0)
    assert.deepEqual(parts(d.show.frame(false)).filter(p => /job|worker/.test(p)), ['1 job', '1 worker'])
    d.set(2, 100)
    d.setWorkers(2)
    assert.deepEqual(parts(d.show.frame(false)).filter(p => /job|worker/.test(p)), ['2 jobs', '2 workers'])
    d.setWorkers(0)
    assert.ok(d.show.frame(false).endsWith('│ 0 workers'))
  })

  it('one cluster is "cluster", several are "clusters"', () => {
    assert.equal(formatClusters({ gpu: { members: ['worker/0'], size: 1 } } as unknown as NonNullable<RunProgress['clusters']>), 'cluster gpu 1/1')
    assert.equal(formatClusters({ a: { members: [] }, b: { members: ['x', 'y'] } } as unknown as NonNullable<RunProgress['clusters']>), 'clusters a 0, b 2')
  })

  it('shows no rate on the first frames, even when a few jobs finish within milliseconds', () => {
    const d = display()
    const rates: string[] = []
    // frames every 100 ms (the TTY interval); 2 jobs finish 1 ms after the first frame (3.1M/s if trusted)
    d.set(0, 0); rates.push(parts(d.show.frame(true))[2])
    d.set(2, 1); rates.push(parts(d.show.frame(true))[2])
    for (let t = 100; t < MIN_RATE_WINDOW_MS; t += 100) {
      d.set(2 + t / 10, t)
      rates.push(parts(d.show.frame(true))[2])
    }
    assert.deepEqual(rates, rates.map(() => NO_RATE))
  })

  it('shows the rate once jobs have been counted for MIN_RATE_WINDOW_MS, measured from the first result', () => {
    const d = display()
    d.set(0, 0); d.show.frame(false)
    d.set(0, 5000); d.show.frame(false) // waiting for workers: not part of the rate
    d.set(50, 5100); assert.equal(parts(d.show.frame(false))[2], NO_RATE)
    d.set(1000, 5000 + MIN_RATE_WINDOW_MS)
    assert.equal(parts(d.show.frame(false))[2], '1000/s') // 1000 jobs over the 1 s since the frame before the first result
  })

  it('formats the whole line: name, bar and share read, jobs, rate, elapsed, workers', () => {
    const line = formatProgress({ flowName: 'mandelbrot', progress: { jobsDone: 1, jobsOut: 0, queued: 0, sourceFraction: 0.5 }, rate: undefined, elapsedMs: 200, workers: 1, tty: false })
    assert.equal(line, `mandelbrot │  50% read │ 1 job │ ${NO_RATE} │ 0.2s │ 1 worker`)
  })
})

describe('RateMeter', () => {
  it('undefined until the window is long enough, then jobs per second, then smoothed and decaying when jobs stop', () => {
    const m = new RateMeter(1000)
    assert.equal(m.sample(0, 0), undefined)
    assert.equal(m.sample(0, 300), undefined) // nothing counted: the window starts later
    assert.equal(m.sample(10, 400), undefined)
    assert.equal(m.sample(100, 1300), 100) // 100 jobs over 1 s (from 300 ms)
    assert.equal(m.sample(130, 1500), 100) // updated at most every 500 ms
    assert.equal(m.sample(200, 1800), 150) // half the old 100, half the latest 200/s
    const stalled = [2300, 2800, 3300].map(t => m.sample(200, t))
    assert.deepEqual(stalled, [75, 37.5, 18.75])
  })

  it('counts from the first sample: jobs done before it (a resumed run) are not a rate', () => {
    const m = new RateMeter(1000)
    assert.equal(m.sample(50_000, 0), undefined)
    assert.equal(m.sample(50_010, 100), undefined)
    assert.equal(m.sample(50_100, 1000), 100)
  })
})
