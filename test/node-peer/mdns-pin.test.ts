/**
 * `grid-worker --mdns --coordinator ID` takes jobs only from that coordinator, even when another one is found
 * first on the LAN. mDNS runs ONLY inside a private network namespace this test creates (as mdns-grid.test.ts).
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

it('a worker pinned with --coordinator ignores a decoy coordinator found by mDNS first', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-mdns-pin-'))
  const decoyRun = await copyExample('wordcount')
  const run = await copyExample('wordcount')
  const realId = peerIdFromPrivateKey(await loadOrCreateIdentity(join(dir, 'real.key'))).toString()
  const node = process.execPath
  const lines = [
    `"${node}" "${binDir}grid-coordinator.js" "${join(decoyRun, 'flow.json')}" --workers 0 --mdns --listen /ip4/127.0.0.1/tcp/0 --identity "${join(dir, 'decoy.key')}" --wait-workers 1 > "${join(dir, 'decoy.log')}" 2>&1 & D=$!`,
    'sleep 2',
    `"${node}" "${binDir}grid-worker.js" --mdns --coordinator ${realId} --listen /ip4/127.0.0.1/tcp/0 --threads 1 --name lan --cache "${join(dir, 'cache')}" --quiet & W=$!`,
    'sleep 2',
    'set +e',
    `"${node}" "${binDir}grid-coordinator.js" "${join(run, 'flow.json')}" --workers 0 --mdns --listen /ip4/127.0.0.1/tcp/0 --identity "${join(dir, 'real.key')}" --wait-workers 1 --report "${join(run, 'report.json')}"; C=$?`,
    'kill -INT $W; wait $W; kill -KILL $D; exit $C'
  ]
  const { code, output } = await runInNetns(lines, 60_000)
  assert.equal(code, 0, output.slice(-3000))
  const decoy = await readFile(join(dir, 'decoy.log'), 'utf8')
  assert.match(decoy, /edge-grid coordinator/, 'the decoy was running')
  assert.match(output, /\+ worker\/lan joined/)
  assert.doesNotMatch(decoy, /\+ worker/, 'the decoy got no worker')
  const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
  await checkExample('wordcount', run, output, report)
  assert.ok(report.perWorker['worker/lan'] > 0)
})
