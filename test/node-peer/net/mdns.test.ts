/**
 * mDNS discovery, run ONLY inside a private network namespace this test creates (`unshare -n`), so nothing
 * multicasts on the machine's real network. The file has two roles: under the test runner it spawns
 * itself inside the namespace with `--mdns-child`; in that child it starts two mDNS nodes and reports.
 */
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { networkInterfaces } from 'node:os'
import { fileURLToPath } from 'node:url'

const CHILD_FLAG = '--mdns-child'

if (process.argv.includes(CHILD_FLAG)) {
  await child()
} else {
  it('two nodes with mdns:true find and connect to each other (inside a private network namespace)', async () => {
    const script = fileURLToPath(import.meta.url)
    const shell = `ip link set lo up multicast on && ip route add 224.0.0.0/4 dev lo && exec "${process.execPath}" "${script}" ${CHILD_FLAG}`
    const result = await run('unshare', ['-n', 'sh', '-c', shell], 30_000)
    if (result.spawnError != null || /unshare: /.test(result.stderr)) {
      assert.fail(`cannot create a private network namespace for the mDNS test (unshare -n needs root or CAP_SYS_ADMIN): ${result.spawnError?.message ?? result.stderr.trim()}. ` +
        'mDNS must never run on the real network, so this test fails instead of running outside a namespace.')
    }
    const line = result.stdout.split('\n').find(l => l.startsWith('MDNS-RESULT '))
    assert.ok(line != null, `the namespace child reported nothing (exit ${result.code}): ${result.stderr.slice(-2000)}`)
    const report = JSON.parse(line.slice('MDNS-RESULT '.length)) as { ok: boolean, ms?: number, error?: string }
    assert.equal(report.ok, true, report.error)
    assert.equal(result.code, 0)
    console.log(`# mDNS: discovered and connected in ${report.ms} ms`)
  })
}

interface RunResult { code: number | null, stdout: string, stderr: string, spawnError?: Error }

async function run (command: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return await new Promise(resolve => {
    const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    proc.on('error', err => { resolve({ code: null, stdout, stderr, spawnError: err }) })
    proc.on('close', code => { resolve({ code, stdout, stderr }) })
  })
}

async function child (): Promise<void> {
  const report = (r: { ok: boolean, ms?: number, error?: string }): void => { process.stdout.write(`MDNS-RESULT ${JSON.stringify(r)}\n`) }
  // never multicast on a real network: only `lo` may exist here
  const interfaces = Object.keys(networkInterfaces())
  if (interfaces.some(name => name !== 'lo')) {
    report({ ok: false, error: `refusing to run mDNS: not in a private namespace (interfaces: ${interfaces.join(', ')})` })
    process.exitCode = 1
    return
  }
  const { startNode, stopAll, waitFor } = await import('./nodes.js')
  const listen = ['/ip4/127.0.0.1/tcp/0']
  const a = await startNode({ listen, mdns: { intervalMs: 250 } })
  const b = await startNode({ listen, mdns: { intervalMs: 250 } })
  try {
    const ms = await waitFor(() => a.getConnections(b.peerId).length > 0 && b.getConnections(a.peerId).length > 0, 10_000, 'mDNS discovery and connection')
    report({ ok: true, ms })
  } catch (err) {
    report({ ok: false, error: (err as Error).message })
    process.exitCode = 1
  } finally {
    await stopAll(a, b)
  }
}
