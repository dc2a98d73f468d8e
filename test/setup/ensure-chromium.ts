/**
 * `npm test`'s pretest step: the browser tests need Debian's Chromium at /usr/bin/chromium. If it is missing,
 * install it with apt-get (the test machines run as root), showing what apt does. If that fails, stop the
 * test run with a clear message: browser tests are never skipped.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const CHROMIUM = '/usr/bin/chromium'

function run (command: string, args: string[]): boolean {
  console.log(`ensure-chromium: $ ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  if (result.error != null) console.error(`ensure-chromium: could not run ${command}: ${result.error.message}`)
  return result.status === 0
}

function version (): string {
  const result = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 30_000 })
  return (result.stdout ?? '').trim()
}

if (existsSync(CHROMIUM)) {
  console.log(`ensure-chromium: ${version() || CHROMIUM} is installed`)
} else {
  console.log(`ensure-chromium: ${CHROMIUM} is missing; installing Debian's chromium package (needed by the browser tests)`)
  const ok = run('apt-get', ['update']) && run('apt-get', ['install', '-y', 'chromium'])
  if (!ok || !existsSync(CHROMIUM)) {
    console.error([
      `ensure-chromium: FAILED to install Chromium at ${CHROMIUM}.`,
      'The browser tests (test/browser-peer/) need it and are not skipped.',
      'Install it yourself as root: apt-get update && apt-get install -y chromium',
      '(playwright\'s own browser download does not work offline; playwright-core drives the Debian build).'
    ].join('\n'))
    process.exit(1)
  }
  console.log(`ensure-chromium: installed ${version() || CHROMIUM}`)
}
