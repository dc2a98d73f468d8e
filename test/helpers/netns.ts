/**
 * mDNS tests run only inside a private network namespace the test creates (`unshare -n`): its loopback is
 * the one interface, set up to carry multicast, so nothing is ever multicast on the machine's networks.
 */
import assert from 'node:assert/strict'
import { Proc } from './processes.js'

/** First lines of every namespace script: loopback with multicast, and a refusal to run with any other interface. */
const PRELUDE = [
  'set -e',
  'ip link set lo up multicast on',
  'ip route add 224.0.0.0/4 dev lo',
  '[ "$(ip -o link show | wc -l)" = "1" ] || { echo "unexpected interfaces: $(ip -o link show)"; exit 97; }'
]

/**
 * Runs shell `lines` (after the prelude) in a fresh network namespace, SIGKILLed after `ms`; fails clearly when
 * the namespace cannot be made (unshare -n needs root). Returns the exit code and everything printed.
 */
export async function runInNetns (lines: readonly string[], ms = 60_000): Promise<{ code: number | null, output: string }> {
  const proc = new Proc('unshare', [], { command: ['unshare', '-n', 'sh', '-c', [...PRELUDE, ...lines].join('\n')] })
  const timer = setTimeout(() => proc.kill('SIGKILL'), ms)
  try {
    const { code } = await proc.exited
    if (/unshare: /.test(proc.output)) assert.fail(`cannot create a private network namespace (unshare -n needs root): ${proc.output}`)
    return { code, output: proc.output }
  } finally {
    clearTimeout(timer)
    proc.kill('SIGKILL')
  }
}
