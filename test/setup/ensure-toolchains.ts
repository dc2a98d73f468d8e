/**
 * `npm test`'s pretest step, like ensure-chromium.ts: the WASI tests and the C/Rust examples need Debian's
 * WebAssembly toolchains (core/abi/README.md, "WASI commands"). If a toolchain cannot build a WASI command,
 * install its packages with apt-get (the test machines run as root), then rebuild the C/Rust examples. If
 * that fails, stop the test run with a clear message: tests are never skipped for a missing compiler.
 */
import { spawnSync } from 'node:child_process'
import { buildNativeExamples, TOOLCHAIN_PACKAGES, toolchainProblem } from '../../examples/build-native.js'
import type { Language } from '../../examples/build-native.js'
import { REPO_ROOT } from '../../examples/build-examples.js'

function run (command: string, args: string[]): boolean {
  console.log(`ensure-toolchains: $ ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  if (result.error != null) console.error(`ensure-toolchains: could not run ${command}: ${result.error.message}`)
  return result.status === 0
}

const languages = Object.keys(TOOLCHAIN_PACKAGES) as Language[]
const missing: Language[] = []
for (const language of languages) {
  const problem = await toolchainProblem(language)
  if (problem === undefined) console.log(`ensure-toolchains: ${language} → wasm32-wasi works`)
  else {
    console.log(`ensure-toolchains: ${language} → wasm32-wasi does not work here (${problem})`)
    missing.push(language)
  }
}
if (missing.length > 0) {
  const packages = missing.flatMap(l => TOOLCHAIN_PACKAGES[l])
  const installed = run('apt-get', ['update']) && run('apt-get', ['install', '-y', ...packages])
  const still = []
  for (const language of missing) if (await toolchainProblem(language) !== undefined) still.push(language)
  if (!installed || still.length > 0) {
    console.error([
      `ensure-toolchains: FAILED to set up ${still.join(' and ') || missing.join(' and ')} for wasm32-wasi.`,
      'The WASI tests and the C/Rust examples need them and are not skipped.',
      `Install them yourself as root: apt-get update && apt-get install -y ${packages.join(' ')}`,
      '(Rust: Debian\'s /usr/bin/rustc is used, since a rustup toolchain may lack the wasm32 targets.)'
    ].join('\n'))
    process.exit(1)
  }
  // `npm install` skipped these examples while the compilers were missing: build them now.
  await buildNativeExamples(REPO_ROOT, false)
}
