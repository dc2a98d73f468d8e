/**
 * The standing grid as users run it: one `grid-coordinator serve` with no embedded workers, two
 * `grid-worker` volunteers that join once, and clients in folders of their own that submit example flows
 * (`grid-coordinator flow.json --grid ADDR`) and get their outputs where they are.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCoordinator } from '../../helpers/cli.js'
import { copyCollatz, copyExample } from '../../helpers/example-copy.js'
import { checkCollatzUpTo, checkExample } from '../../helpers/example-checks.js'
import { clientHome, runClient, startClient, startServe, startWorkers, stopAll } from '../../helpers/standing-grid.js'
import type { Serve } from '../../helpers/standing-grid.js'
import type { Proc } from '../../helpers/processes.js'

const LONG_END = 50_001

describe('grid-coordinator serve', { timeout: 300_000 }, () => {
  it('runs two clients\' flows at once on the same two volunteers; each output is exact and written in its client\'s folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-serve-'))
    let serve: Serve | undefined
    let workers: Proc[] = []
    try {
      // the coordinator runs in a folder of its own: it needs none of the clients' files
      serve = await startServe(['--workers', '0'], dir)
      workers = await startWorkers(serve, 2, dir)
      const [collatz, wordcount] = await Promise.all([copyExample('collatz'), copyExample('wordcount')])
      const [homeA, homeB] = await Promise.all([clientHome(), clientHome()])
      const [a, b] = await Promise.all([
        runClient(['flow.json', '--grid', serve.addr, '--report', 'report.json'], collatz, homeA),
        runClient(['flow.json', '--grid', serve.addr, '--report', 'report.json'], wordcount, homeB)
      ])
      assert.equal(a.code, 0, a.stderr.slice(-3000))
      assert.equal(b.code, 0, b.stderr.slice(-3000))
      const reportA = JSON.parse(await readFile(join(collatz, 'report.json'), 'utf8'))
      const reportB = JSON.parse(await readFile(join(wordcount, 'report.json'), 'utf8'))
      // the lines source (wordcount's input.txt) was read in the client's folder, the sinks written there
      await checkExample('collatz', collatz, a.stdout, reportA)
      await checkExample('wordcount', wordcount, b.stdout, reportB)
      for (const report of [reportA, reportB]) {
        assert.ok(report.perWorker['worker/w0'] > 0 && report.perWorker['worker/w1'] > 0, `jobs on both volunteers: ${JSON.stringify(report.perWorker)}`)
      }
      // the volunteers joined once and stayed for both runs
      assert.equal(serve.proc.output.match(/\+ worker\/w0 joined/g)?.length, 1)
      assert.doesNotMatch(serve.proc.output, /- worker\/w\d/, 'no volunteer left between runs')
      assert.match(serve.proc.output, /< run \S+ done: flow "collatz"/)
      assert.match(serve.proc.output, /< run \S+ done: flow "wordcount"/)
    } finally {
      await stopAll([...workers, serve?.proc])
    }
  })

  it('a short flow submitted while a long one runs finishes first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-serve-'))
    let serve: Serve | undefined
    let workers: Proc[] = []
    let long: Proc | undefined
    try {
      serve = await startServe(['--workers', '0'], dir)
      workers = await startWorkers(serve, 2, dir)
      // the long flow: about 25 s of work on one thread
      const [collatz, fibonacci] = await Promise.all([copyCollatz(LONG_END), copyExample('fibonacci-wat')])
      long = startClient(['flow.json', '--grid', serve.addr, '--report', 'report.json'], collatz, await clientHome())
      await serve.proc.waitFor(/> run \S+ started: flow "collatz"/)
      const short = await runClient(['flow.json', '--grid', serve.addr, '--report', 'report.json'], fibonacci, await clientHome())
      assert.equal(short.code, 0, short.stderr.slice(-3000))
      assert.doesNotMatch(serve.proc.output, /< run \S+ done: flow "collatz"/, 'the long flow was still running when the short one finished')
      await checkExample('fibonacci-wat', fibonacci, short.stdout, JSON.parse(await readFile(join(fibonacci, 'report.json'), 'utf8')))
      const { code } = await long.exited
      assert.equal(code, 0, long.output.slice(-3000))
      await checkCollatzUpTo(collatz, long.output, LONG_END)
    } finally {
      await stopAll([long, ...workers, serve?.proc])
    }
  })

  it('refuses to listen beyond this machine without a submit secret or an allow-list, and says why', async () => {
    const result = await runCoordinator(['serve', '--listen', '/ip4/0.0.0.0/tcp/0'], { timeoutMs: 30_000 })
    assert.equal(result.code, 2)
    assert.match(result.stderr, /beyond this machine[\s\S]*--submit-secret S \(or EDGE_GRID_SUBMIT_SECRET\) or --allow FILE/)
  })
})
