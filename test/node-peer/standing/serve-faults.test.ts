/**
 * Faults of a standing grid: the coordinator SIGKILLed and started again on the same --state (every run
 * resumes from its journal and its client attaches again by itself), a detached client killed and its run
 * attached from another process, and a client gone without --detach (its run is cancelled).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { copyCollatz, copyExample } from '../../helpers/example-copy.js'
import { checkCollatzUpTo, checkExample } from '../../helpers/example-checks.js'
import { clientHome, runClient, startClient, startServe, startWorkers, stopAll, waitForRunJobs } from '../../helpers/standing-grid.js'
import type { Serve } from '../../helpers/standing-grid.js'
import type { Proc } from '../../helpers/processes.js'

const ENDS = [30_001, 50_001]

describe('grid-coordinator serve under faults', { timeout: 300_000 }, () => {
  it('SIGKILL of the coordinator mid-run, restart on the same --state: both runs finish exactly, with replayed jobs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-serve-'))
    const state = join(dir, 'state')
    let serve: Serve | undefined
    let workers: Proc[] = []
    const clients: Proc[] = []
    try {
      serve = await startServe(['--workers', '1', '--state', state], dir)
      const port = serve.addr.split('/')[4]
      // two long runs (about 15 and 25 s of work on one thread), so both are going when the coordinator dies
      const [collatz, second] = await Promise.all([copyCollatz(ENDS[0]), copyCollatz(ENDS[1])])
      const homes = [await clientHome(), await clientHome()]
      clients.push(startClient(['flow.json', '--grid', serve.addr, '--report', 'report.json'], collatz, homes[0]))
      clients.push(startClient(['flow.json', '--grid', serve.addr, '--report', 'report.json'], second, homes[1]))
      // both runs have done work: jobs are in their journals
      await waitForRunJobs(serve, 'collatz', collatz, homes[0], 1000, 60_000, clients[0])
      await waitForRunJobs(serve, 'collatz', second, homes[1], 1000, 60_000, clients[1])
      serve.proc.kill('SIGKILL')
      await serve.proc.exited
      // same port and identity (kept in --state): the clients find it again
      serve = await startServe(['--workers', '1', '--state', state, '--listen', `/ip4/127.0.0.1/tcp/${port}`], dir)
      assert.match(serve.proc.output, /resuming the run started/)
      workers = await startWorkers(serve, 1, dir)
      for (const c of clients) assert.equal((await c.exited).code, 0, c.output.slice(-3000))
      const reports = await Promise.all([collatz, second].map(async d => JSON.parse(await readFile(join(d, 'report.json'), 'utf8'))))
      await checkCollatzUpTo(collatz, clients[0].output, ENDS[0])
      await checkCollatzUpTo(second, clients[1].output, ENDS[1])
      const replayed = reports.map(r => r.resumed?.jobsReplayed ?? 0)
      assert.ok(replayed.every(n => n > 0), `both runs replayed journaled jobs: ${replayed.join(', ')}`)
    } finally {
      await stopAll([...clients, ...workers, serve?.proc])
    }
  })

  it('a detached client killed mid-run: another process of the same client attaches and gets exactly the rest; other clients cannot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-serve-'))
    let serve: Serve | undefined
    let client: Proc | undefined
    try {
      serve = await startServe(['--workers', '1'], dir)
      const collatz = await copyExample('collatz')
      const home = await clientHome()
      client = startClient(['flow.json', '--grid', serve.addr, '--detach'], collatz, home)
      const [, runId] = await client.waitFor(/--attach (\S+)/)
      await waitForRunJobs(serve, 'collatz', collatz, home, 1000)
      client.kill('SIGKILL')
      await client.exited
      const listed = await runClient(['--grid', serve.addr, '--runs'], collatz, home)
      assert.match(listed.stdout + listed.stderr, new RegExp(`${runId}\\s+(waiting|running)\\s+collatz`))
      const stranger = await runClient(['--grid', serve.addr, '--attach', runId], collatz, await clientHome())
      assert.equal(stranger.code, 2)
      assert.match(stranger.stderr, /submitted by another client/)
      const attached = await runClient(['--grid', serve.addr, '--attach', runId, '--report', 'report.json'], collatz, home)
      assert.equal(attached.code, 0, attached.stderr.slice(-3000))
      await checkExample('collatz', collatz, attached.stdout, JSON.parse(await readFile(join(collatz, 'report.json'), 'utf8')))
    } finally {
      await stopAll([client, serve?.proc])
    }
  })

  it('a client gone without --detach: its run is cancelled after the grace period and no longer runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-grid-serve-'))
    let serve: Serve | undefined
    let client: Proc | undefined
    try {
      serve = await startServe(['--workers', '1', '--client-grace', '1'], dir)
      // 20× the example (about 17M jobs): still running when the client is killed, however fast the machine
      const collatz = await copyCollatz(200_001)
      const home = await clientHome()
      client = startClient(['flow.json', '--grid', serve.addr], collatz, home)
      await waitForRunJobs(serve, 'collatz', collatz, home, 1000)
      client.kill('SIGKILL')
      await serve.proc.waitFor(/< run \S+ cancelled: its client was gone for 1 s/)
      const listed = await runClient(['--grid', serve.addr, '--runs'], collatz, home)
      const done = listed.stdout.match(/cancelled\s+collatz\s+([\d,]+) jobs? done/)
      assert.ok(done != null, listed.stdout)
      await new Promise(resolve => setTimeout(resolve, 1500))
      const later = await runClient(['--grid', serve.addr, '--runs'], collatz, home)
      assert.match(later.stdout, new RegExp(`cancelled\\s+collatz\\s+${done[1]} jobs? done`), 'no job of a cancelled run is done any more')
    } finally {
      await stopAll([client, serve?.proc])
    }
  })
})
