/**
 * Zero-configuration discovery with the real CLIs: `grid-coordinator --mdns` and `grid-worker --mdns` find
 * each other with no address typed. mDNS multicasts on every interface, so both run ONLY inside a private
 * network namespace this test creates (`unshare -n`, with just a loopback that carries multicast).
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { binDir } from '../helpers/cli.js'
import { copyExample } from '../helpers/example-copy.js'
import { checkExample } from '../helpers/example-checks.js'
import { runInNetns } from '../helpers/netns.js'

it('a worker finds a coordinator by mDNS inside a private network namespace and runs its flow', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-grid-mdns-'))
  const run = await copyExample('wordcount')
  const node = process.execPath
  const lines = [
    `"${node}" "${binDir}grid-worker.js" --mdns --listen /ip4/127.0.0.1/tcp/0 --threads 1 --name lan --cache "${join(dir, 'cache')}" --quiet & W=$!`,
    'set +e',
    `"${node}" "${binDir}grid-coordinator.js" "${join(run, 'flow.json')}" --workers 0 --mdns --listen /ip4/127.0.0.1/tcp/0 --identity "${join(dir, 'key')}" --wait-workers 1 --report "${join(run, 'report.json')}"; C=$?`,
    'kill -INT $W; wait $W; exit $C'
  ]
  const { code, output } = await runInNetns(lines, 60_000)
  assert.equal(code, 0, output.slice(-3000))
  assert.match(output, /\+ worker\/lan joined/)
  const report = JSON.parse(await readFile(join(run, 'report.json'), 'utf8'))
  await checkExample('wordcount', run, output, report)
  assert.ok(report.perWorker['worker/lan'] > 0)
})
