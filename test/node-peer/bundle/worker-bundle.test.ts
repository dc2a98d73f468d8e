/**
 * The self-contained worker bundle (dist/bundle/grid-worker.mjs) as a remote machine runs it: the one file
 * copied alone into a fresh folder with no node_modules anywhere above it, started as `node grid-worker.mjs`.
 * It prints grid-worker's own help, and joins a real grid-coordinator (`--workers 0 --wait-workers 1`, so
 * every job runs in the bundle) with exact output: collatz on one thread and on two (the bundle starts
 * itself as its worker threads), and wordcount-js, whose JavaScript runs in QuickJS from the inlined wasm.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cp, mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreateIdentity } from '../../../node-peer/net/identity.js'
import { WORKER_BUNDLE_NAME, workerBundlePath } from '../../../node-peer/bundle/bundle-path.js'
import { repoRoot, runBin, runCoordinator, sinkLines } from '../../helpers/cli.js'
import { copyCollatz } from '../../helpers/example-copy.js'
import { checkCollatzUpTo } from '../../helpers/example-checks.js'
import { wordCounts } from '../../helpers/expected.js'
import { Proc } from '../../helpers/processes.js'
import { bundleAlone, bundleEnv } from '../../helpers/worker-bundle.js'
import { freePort } from '../net/nodes.js'

/** `node [NODEARGS] grid-worker.mjs ARGS` in `dir`, to its end (bounded). */
async function runBundle (dir: string, args: readonly string[], nodeArgs: readonly string[] = []): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [...nodeArgs, WORKER_BUNDLE_NAME, ...args], { cwd: dir, env: bundleEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  try {
    const code = await new Promise<number | null>(resolve => child.on('close', c => { resolve(c) }))
    return { code, stdout, stderr }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A bundle worker (started first: it keeps trying until the coordinator is up) and a coordinator with no
 * threads of its own running `flow`; returns the coordinator's stdout and report, after the worker left cleanly.
 */
async function runOnBundleWorker (flow: string, threads: number): Promise<{ stdout: string, stderr: string, report: any, worker: string }> {
  const dir = await bundleAlone()
  const identity = join(await mkdtemp(join(tmpdir(), 'edge-grid-bundle-coordinator-')), 'coordinator.key')
  const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(identity))
  const port = await freePort()
  const bootstrap = `/ip4/127.0.0.1/tcp/${port}/p2p/${peerId.toString()}`
  const worker = new Proc(WORKER_BUNDLE_NAME, [], {
    cwd: dir,
    env: bundleEnv(dir),
    command: [process.execPath, WORKER_BUNDLE_NAME, '--bootstrap', bootstrap, '--threads', String(threads), '--name', 'bundled', '--quiet']
  })
  try {
    await worker.waitFor(/looking for a coordinator/)
    const report = join(flow, '..', 'report.json')
    const result = await runCoordinator([flow, '--workers', '0', '--wait-workers', '1', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--identity', identity, '--no-journal', '--report', report])
    assert.equal(result.code, 0, `coordinator exit code; stderr:\n${result.stderr}\nworker:\n${worker.output}`)
    const { code } = await worker.stop('SIGINT')
    assert.equal(code, 0, `the bundle worker leaves cleanly on SIGINT:\n${worker.output}`)
    return { stdout: result.stdout, stderr: result.stderr, report: JSON.parse(await readFile(report, 'utf8')), worker: worker.output }
  } finally {
    worker.kill('SIGKILL')
  }
}

describe('worker bundle: the one file alone in a folder', () => {
  it('--help prints grid-worker\'s help and exits 0', async () => {
    const dir = await bundleAlone()
    const bundled = await runBundle(dir, ['--help'])
    assert.equal(bundled.code, 0, bundled.stderr)
    const installed = await runBin('grid-worker', ['--help'])
    assert.equal(bundled.stdout, installed.stdout)
    assert.match(bundled.stdout, /^Usage: grid-worker \[options\]/)
    assert.equal(bundled.stderr, '')
  })

  it('a bad option: exit 2 with grid-worker\'s message', async () => {
    const dir = await bundleAlone()
    const bundled = await runBundle(dir, ['--bootstrap', '/ip4/127.0.0.1/tcp/1'])
    assert.equal(bundled.code, 2)
    assert.match(bundled.stderr, /--bootstrap "\/ip4\/127\.0\.0\.1\/tcp\/1" must end in \/p2p\/<coordinator peer id>/)
    assert.equal(bundled.stderr, (await runBin('grid-worker', ['--bootstrap', '/ip4/127.0.0.1/tcp/1'])).stderr)
  })

  it('on a Node.js older than 20: exit 2 and a message saying so, before anything else runs', async () => {
    const dir = await bundleAlone()
    // what Node 18 would report (a real Node 18 is not installed here): set before the bundle loads
    const pretend = 'data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"18.19.0"}})'
    const old = await runBundle(dir, ['--help'], ['--import', pretend])
    assert.equal(old.code, 2)
    assert.equal(old.stdout, '')
    assert.equal(old.stderr, 'grid-worker needs Node.js 20 or newer; this is Node.js 18.19.0. Install a current Node.js (https://nodejs.org) and run it again.\n')
  })

  for (const threads of [1, 2]) {
    it(`joins a coordinator and computes collatz exactly on ${threads} thread${threads > 1 ? 's' : ''}`, async () => {
      const end = 5001
      const run = await copyCollatz(end)
      const { stdout, stderr, report, worker } = await runOnBundleWorker(join(run, 'flow.json'), threads)
      await checkCollatzUpTo(run, stdout, end)
      assert.match(stderr, new RegExp(`\\+ worker/bundled joined \\(${threads} threads?, node-v`))
      assert.equal(report.perWorker.local, undefined, 'no embedded worker ran anything')
      assert.equal(report.perWorker['worker/bundled'], report.jobs.done, `every job ran in the bundle: ${JSON.stringify(report.perWorker)}`)
      assert.match(worker, new RegExp(`\\[worker/bundled\\] peer 12D3KooW\\w+, ${threads} threads?; looking for a coordinator`))
      assert.match(worker, /\[worker\/bundled\] flow "collatz" finished; [\d,]+ jobs done here/)
      assert.match(worker, /\[worker\/bundled\] left; [\d,]+ jobs done/)
    })
  }

  it('runs JavaScript functions (wordcount-js: QuickJS from the wasm inlined in the bundle) on 2 threads', async () => {
    const root = await mkdtemp(join(tmpdir(), 'edge-grid-bundle-js-'))
    for (const name of ['wordcount', 'wordcount-js']) {
      await cp(join(repoRoot, 'examples', name), join(root, name), { recursive: true, filter: src => !src.startsWith(join(repoRoot, 'examples', name, 'out')) })
    }
    const { stdout, report } = await runOnBundleWorker(join(root, 'wordcount-js', 'flow.json'), 2)
    assert.equal(report.jobs.failed, 0)
    const counts = new Map((await readFile(join(root, 'wordcount-js', 'out', 'counts.jsonl'), 'utf8')).trim().split('\n').map(l => JSON.parse(l) as [string, number]))
    assert.deepEqual(counts, wordCounts(await readFile(join(root, 'wordcount', 'input.txt'), 'utf8')))
    assert.deepEqual(sinkLines(stdout, 'words').map(l => JSON.parse(l)), [['words', 2367]])
    assert.equal(report.perWorker['worker/bundled'], report.jobs.done)
  })

  it('carries no native module (no .node loader, no WebRTC)', async () => {
    const code = await readFile(workerBundlePath, 'utf8')
    for (const native of ['node-gyp-build', 'node-datachannel', '.node"']) {
      assert.ok(!code.includes(native), `the bundle mentions ${native}`)
    }
    // and the one thing that would import them is left out on purpose (node-peer/bundle/vite.bundle.config.ts)
    assert.match(code, /import\("@libp2p\/webrtc"\)/)
  })
})
