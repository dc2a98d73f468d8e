/**
 * `npm test`'s pretest step, like ensure-chromium.ts: the deployment tests start Debian's OpenSSH server in a
 * private network namespace and deploy over the OpenSSH client. If either is missing, install them with
 * apt-get (the test machines run as root). If that fails, stop the test run: those tests are never skipped.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const NEEDED = ['/usr/sbin/sshd', '/usr/bin/ssh', '/usr/bin/ssh-keygen', '/usr/bin/ssh-keyscan']

function run (command: string, args: string[]): boolean {
  console.log(`ensure-sshd: $ ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  if (result.error != null) console.error(`ensure-sshd: could not run ${command}: ${result.error.message}`)
  return result.status === 0
}

const missing = NEEDED.filter(f => !existsSync(f))
if (missing.length === 0) {
  console.log('ensure-sshd: the OpenSSH server and client are installed')
} else {
  console.log(`ensure-sshd: ${missing.join(', ')} missing; installing Debian's openssh-server and openssh-client (needed by the deployment tests)`)
  const ok = run('apt-get', ['update']) && run('apt-get', ['install', '-y', 'openssh-server', 'openssh-client'])
  const still = NEEDED.filter(f => !existsSync(f))
  if (!ok || still.length > 0) {
    console.error([
      `ensure-sshd: FAILED to install ${still.join(', ')}.`,
      'The deployment tests (test/node-peer/deploy/) need them and are not skipped.',
      'Install them yourself as root: apt-get update && apt-get install -y openssh-server openssh-client'
    ].join('\n'))
    process.exit(1)
  }
  console.log('ensure-sshd: installed')
}
