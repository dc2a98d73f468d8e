/**
 * Volunteers stay: `grid-worker --mdns` (no --coordinator) finishes a flow for coordinator A, A exits, and once
 * A has been gone --forget-after seconds the worker joins the next coordinator found (another identity) and
 * completes its flow; with a join secret, only the next one that proves it. Real CLIs, mDNS ONLY inside a
 * private network namespace this test creates (as mdns-grid.test.ts).
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreateIdentity } from '../../node-peer/net/identity.js'
import { binDir } from '../helpers/cli.js'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import { runInNetns } from '../helpers/netns.js'

const SECRET = 'the team secret'

/** The peer ids of key files made now in `dir`, by name. */
async function identities (dir: string, names: readonly string[]): Promise<Record<string, string>> {
  const ids: Record<string, string> = {}
  for (const name of names) ids[name] = peerIdFromPrivateKey(await loadOrCreateIdentity(join(dir, `${name}.key`))).toString()
  return ids
}

/** The flows the worker was welcomed to, in order, and where it forgot a coordinator among them. */
function workerStory (log: string): string[] {
  return [...log.matchAll(/joined flow "([^"]+)"|coordinator …(\S{8}) gone for [\d.]+ s: forgot it/g)].map(m => m[1] ?? `forgot …${m[2]}`)
}

it('a worker found by mDNS leaves with its coordinator: A exits, 2 s later it joins B (another identity) and B\'s flow completes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-mdns-stay-'))
  const ids = await identities(dir, ['a', 'b'])
  const runA = await copyExample('wordcount')
  const runB = await copyExample('fibonacci-wat')
  const node = process.execPath
  const coordinator = (name: string, flowDir: string): string =>
    `"${node}" "${binDir}grid-coordinator.js" "${join(flowDir, 'flow.json')}" --workers 0 --mdns --listen /ip4/127.0.0.1/tcp/0 --identity "${join(dir, `${name}.key`)}" --wait-workers 1 --report "${join(flowDir, 'report.json')}" > "${join(dir, `${name}.log`)}" 2>&1`
  const workerLog = join(dir, 'worker.log')
  const lines = [
    `"${node}" "${binDir}grid-worker.js" --mdns --forget-after 2 --listen /ip4/127.0.0.1/tcp/0 --threads 1 --name stay --cache "${join(dir, 'cache')}" --quiet > "${workerLog}" 2>&1 & W=$!`,
    'set +e',
    `${coordinator('a', runA)}; CA=$?`,
    `${coordinator('b', runB)}; CB=$?`,
    'kill -INT $W; wait $W; echo "A=$CA B=$CB"; [ $CA = 0 ] && [ $CB = 0 ]'
  ]
  const { code, output } = await runInNetns(lines, 120_000)
  const worker = await readFile(workerLog, 'utf8')
  const logA = await readFile(join(dir, 'a.log'), 'utf8')
  const logB = await readFile(join(dir, 'b.log'), 'utf8')
  assert.equal(code, 0, `${output}\nA:\n${logA.slice(-1500)}\nB:\n${logB.slice(-1500)}\nworker:\n${worker.slice(-2000)}`)
  assert.deepEqual(workerStory(worker), ['wordcount', `forgot …${ids.a.slice(-8)}`, 'fibonacci-wat'], worker)
  const reportA = JSON.parse(await readFile(join(runA, 'report.json'), 'utf8'))
  await checkExample('wordcount', runA, logA, reportA)
  assert.deepEqual(Object.keys(reportA.perWorker), ['worker/stay'])
  const reportB = JSON.parse(await readFile(join(runB, 'report.json'), 'utf8'))
  await checkExample('fibonacci-wat', runB, logB, reportB)
  assert.deepEqual(Object.keys(reportB.perWorker), ['worker/stay'])
  assert.match(logB, new RegExp(`\\+ worker/stay joined`))
})

it('with a join secret, the next coordinator must prove it: B without the secret is left, B\' with it is joined', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-mdns-stay-secret-'))
  delete process.env.EDGE_GRID_SECRET
  const ids = await identities(dir, ['a', 'decoy', 'b'])
  const runA = await copyExample('wordcount')
  const decoyRun = await copyExample('collatz')
  const runB = await copyExample('fibonacci-wat')
  const node = process.execPath
  const coordinator = (name: string, flowDir: string, extra: string): string =>
    `"${node}" "${binDir}grid-coordinator.js" "${join(flowDir, 'flow.json')}" --workers 0 --mdns --listen /ip4/127.0.0.1/tcp/0 --identity "${join(dir, `${name}.key`)}" --wait-workers 1 --report "${join(flowDir, 'report.json')}" ${extra} > "${join(dir, `${name}.log`)}" 2>&1`
  const workerLog = join(dir, 'worker.log')
  const lines = [
    `"${node}" "${binDir}grid-worker.js" --mdns --forget-after 2 --secret "${SECRET}" --listen /ip4/127.0.0.1/tcp/0 --threads 1 --name stay --cache "${join(dir, 'cache')}" --quiet > "${workerLog}" 2>&1 & W=$!`,
    'set +e',
    `${coordinator('a', runA, `--secret "${SECRET}"`)}; CA=$?`,
    `${coordinator('decoy', decoyRun, '')} & D=$!`,
    // B' starts only once the worker has left the decoy (bounded: 60 s)
    `for i in $(seq 1 300); do grep -q '${ids.decoy} does not know the join secret' "${workerLog}" && break; sleep 0.2; done`,
    `${coordinator('b', runB, `--secret "${SECRET}"`)}; CB=$?`,
    'kill -INT $W; wait $W; kill -KILL $D; echo "A=$CA B=$CB"; [ $CA = 0 ] && [ $CB = 0 ]'
  ]
  const { code, output } = await runInNetns(lines, 120_000)
  const worker = await readFile(workerLog, 'utf8')
  const logA = await readFile(join(dir, 'a.log'), 'utf8')
  const logB = await readFile(join(dir, 'b.log'), 'utf8')
  const decoy = await readFile(join(dir, 'decoy.log'), 'utf8')
  assert.equal(code, 0, `${output}\nA:\n${logA.slice(-1500)}\nB:\n${logB.slice(-1500)}\nworker:\n${worker.slice(-2000)}`)
  assert.deepEqual(workerStory(worker), ['wordcount', `forgot …${ids.a.slice(-8)}`, 'fibonacci-wat'], 'never welcomed by the decoy')
  assert.match(worker, new RegExp(`coordinator ${ids.decoy} does not know the join secret \\(it sent \`welcome\` without a challenge`))
  assert.match(worker, new RegExp(`coordinator …${ids.b.slice(-8)} proved it knows the join secret`))
  assert.match(decoy, /- worker\/stay left/, 'the decoy admitted the worker, which left at once without asking for work')
  assert.equal(decoy.includes('done:'), false, 'the decoy ran nothing')
  const reportA = JSON.parse(await readFile(join(runA, 'report.json'), 'utf8'))
  await checkExample('wordcount', runA, logA, reportA)
  const reportB = JSON.parse(await readFile(join(runB, 'report.json'), 'utf8'))
  await checkExample('fibonacci-wat', runB, logB, reportB)
  assert.deepEqual(Object.keys(reportB.perWorker), ['worker/stay'])
})
