/**
 * Builds the C and Rust example functions with Debian's toolchains (core/abi/README.md, "WASI commands" and
 * "Native kits"):
 *   examples/<name>/wasi/<file>.c    →  examples/<name>/build/<file>.wasm   a WASI command (clang)
 *   examples/<name>/wasi/<file>.rs   →  examples/<name>/build/<file>.wasm   a WASI command (/usr/bin/rustc)
 *   examples/<name>/native/<file>.c  →  examples/<name>/build/<file>.wasm   ABI v1 with core/abi/c/grid.h
 *   examples/<name>/native/<file>.rs →  examples/<name>/build/<file>.wasm   ABI v1 with core/abi/rust/grid.rs
 * Every output is checked against its ABI (a WASI command, or ABI v1 as build-examples.ts does). A missing or incomplete toolchain
 * is not an error: its examples are listed as skipped, with the reason and the packages to install, and the
 * rest of the build goes on (so `npm install` succeeds on a machine without clang or rustc). The test set-up
 * installs both toolchains (test/setup/ensure-toolchains.ts), so tests never skip.
 *
 * Called by build-examples.ts; tests compile their own fixtures with `compileC` / `compileRust`.
 */
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, extname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_LIMITS } from '../core/abi/abi.js'
import { compileModule } from '../core/abi/host.js'
import { compileWasiCommand } from '../core/abi/wasi/command.js'

/** Debian's rustc by path: a rustup toolchain first on PATH usually lacks the wasm32 targets. */
export const RUSTC = process.env.GRID_RUSTC ?? '/usr/bin/rustc'
export const CLANG = process.env.GRID_CLANG ?? 'clang'
/** The repository root (this file runs as dist/examples/build-native.js). */
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

export const TOOLCHAIN_PACKAGES = {
  c: ['clang', 'lld', 'wasi-libc', 'libclang-rt-14-dev-wasm32'],
  rust: ['rustc', 'libstd-rust-dev-wasm32']
} as const

export type Language = keyof typeof TOOLCHAIN_PACKAGES
/** `wasi`: a WASI command; `v1`: an ABI v1 module built with the native kit of its language. */
export type NativeAbi = 'wasi' | 'v1'

/** The kits, relative to the repository root. */
export const C_KIT_DIR = 'core/abi/c'
export const RUST_KIT_FILE = 'core/abi/rust/grid.rs'

export class NativeBuildError extends Error {
  static override name = 'NativeBuildError'
  constructor (message: string, readonly toolchainMissing = false) {
    super(message)
    this.name = 'NativeBuildError'
  }
}

interface Run { readonly code: number | null, readonly output: string, readonly missing: boolean }

async function run (command: string, args: readonly string[]): Promise<Run> {
  return await new Promise(resolve => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => { output += d.toString() })
    child.stderr.on('data', (d: Buffer) => { output += d.toString() })
    child.on('error', err => { resolve({ code: null, output: err.message, missing: (err as NodeJS.ErrnoException).code === 'ENOENT' }) })
    child.on('close', code => { resolve({ code, output, missing: false }) })
  })
}

/** Compiler command lines, also shown in each example's README. `root`: where the kits are. */
export function compileCommand (language: Language, source: string, output: string, abi: NativeAbi = 'wasi', root = REPO_ROOT): [string, string[]] {
  if (language === 'c') {
    return abi === 'wasi'
      ? [CLANG, ['--target=wasm32-wasi', '-O2', '-o', output, source]]
      // ABI v1: no _start (no WASI start-up), memory imported as env.memory, wasi-libc only for malloc & co.
      : [CLANG, ['--target=wasm32-wasi', '-O2', '-nostartfiles', '-Wl,--no-entry', '-Wl,--import-memory', '-Wl,--strip-debug', '-I', join(root, C_KIT_DIR), '-o', output, source]]
  }
  return abi === 'wasi'
    ? [RUSTC, ['--target', 'wasm32-wasi', '-O', '--edition', '2021', '-C', 'strip=debuginfo', '-o', output, source]]
    : [RUSTC, ['--target', 'wasm32-unknown-unknown', '-O', '--edition', '2021', '--crate-type', 'cdylib', '-C', 'strip=debuginfo', '-C', 'link-arg=--import-memory', '-o', output, source]]
}

/** Compiles one source file to `output` and checks it; NativeBuildError (with `toolchainMissing`) on failure. */
export async function compileNative (language: Language, source: string, output: string, abi: NativeAbi = 'wasi'): Promise<Uint8Array> {
  await mkdir(dirname(output), { recursive: true })
  const [command, args] = compileCommand(language, source, output, abi)
  const result = await run(command, args)
  if (result.missing) throw new NativeBuildError(`${command} not found`, true)
  if (result.code !== 0) throw new NativeBuildError(`${source}: ${command} failed\n${result.output.trim()}`)
  const bytes = new Uint8Array(await readFile(output))
  try {
    if (abi === 'wasi') await compileWasiCommand(bytes, DEFAULT_LIMITS.maxMemoryPages)
    else await compileModule(bytes)
  } catch (err) {
    throw new NativeBuildError(`${source}: the module ${(err as Error).message}${abi === 'v1' ? ' (printf, fopen and the like import WASI, which ABI v1 refuses)' : ''}`)
  }
  return bytes
}

export const compileC = async (source: string, output: string, abi: NativeAbi = 'wasi'): Promise<Uint8Array> => await compileNative('c', source, output, abi)
export const compileRust = async (source: string, output: string, abi: NativeAbi = 'wasi'): Promise<Uint8Array> => await compileNative('rust', source, output, abi)

/**
 * Whether a toolchain can build a WASI command here: compiles a one-line program. Undefined when it can,
 * otherwise the reason (first lines of the compiler's complaint).
 */
export async function toolchainProblem (language: Language): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'grid-probe-'))
  try {
    const source = join(dir, language === 'c' ? 'probe.c' : 'probe.rs')
    await writeFile(source, language === 'c' ? 'int main(void) { return 0; }\n' : 'fn main() {}\n')
    await compileNative(language, source, join(dir, 'probe.wasm'))
    return undefined
  } catch (err) {
    return (err as Error).message.split('\n').slice(0, 3).join(' ').slice(0, 300)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export interface NativeTarget {
  readonly language: Language
  readonly abi: NativeAbi
  readonly source: string
  /** Files whose changes make the output stale (the source, and the kit for ABI v1). */
  readonly inputs: readonly string[]
  readonly output: string
}

/** Every `examples/<name>/wasi/*.c|*.rs` and `examples/<name>/native/*.c|*.rs`. */
export async function findNativeTargets (root: string): Promise<NativeTarget[]> {
  const examplesDir = join(root, 'examples')
  const targets: NativeTarget[] = []
  for (const entry of (await readdir(examplesDir, { withFileTypes: true })).filter(e => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    for (const [folder, abi] of [['wasi', 'wasi'], ['native', 'v1']] as const) {
      const dir = join(examplesDir, entry.name, folder)
      const files = await readdir(dir).catch(() => [] as string[])
      for (const file of files.sort()) {
        const ext = extname(file)
        if (ext !== '.c' && ext !== '.rs') continue
        const language: Language = ext === '.c' ? 'c' : 'rust'
        const source = join(dir, file)
        const kit = abi === 'wasi' ? [] : [language === 'c' ? join(root, C_KIT_DIR, 'grid.h') : join(root, RUST_KIT_FILE)]
        targets.push({ language, abi, source, inputs: [source, ...kit], output: join(examplesDir, entry.name, 'build', `${basename(file, ext)}.wasm`) })
      }
    }
  }
  return targets
}

async function upToDate (target: NativeTarget): Promise<boolean> {
  try {
    const out = (await stat(target.output)).mtimeMs
    for (const input of target.inputs) if ((await stat(input)).mtimeMs > out) return false
    return true
  } catch {
    return false
  }
}

export interface NativeBuildReport {
  readonly built: readonly string[]
  readonly upToDate: readonly string[]
  /** Outputs not built, with why (a missing toolchain and the packages to install). */
  readonly skipped: ReadonlyArray<{ readonly output: string, readonly reason: string }>
}

/** Builds every C/Rust example whose toolchain works; stops at a source that fails to compile. */
export async function buildNative (options: { root: string, force?: boolean, log?: (line: string) => void }): Promise<NativeBuildReport> {
  const log = options.log ?? (() => {})
  const built: string[] = []
  const fresh: string[] = []
  const skipped: Array<{ output: string, reason: string }> = []
  const problems = new Map<Language, string | undefined>()
  for (const target of await findNativeTargets(options.root)) {
    const shown = relative(options.root, target.output)
    if (options.force !== true && await upToDate(target)) {
      fresh.push(shown)
      continue
    }
    if (!problems.has(target.language)) problems.set(target.language, await toolchainProblem(target.language))
    const problem = problems.get(target.language)
    if (problem !== undefined) {
      const reason = `no working ${target.language === 'c' ? 'C' : 'Rust'} toolchain for wasm32-wasi (${problem}); install: apt-get install ${TOOLCHAIN_PACKAGES[target.language].join(' ')}`
      skipped.push({ output: shown, reason })
      log(`skipped ${shown}: ${reason}`)
      continue
    }
    const started = performance.now()
    const bytes = await compileNative(target.language, target.source, target.output, target.abi)
    built.push(shown)
    log(`built ${shown} (${(bytes.length / 1024).toFixed(1)} KiB, ${((performance.now() - started) / 1000).toFixed(1)} s)`)
  }
  return { built, upToDate: fresh, skipped }
}

/** `npm run build:wasm`'s C/Rust part (one call from build-examples.ts): logs, never throws, sets the exit code on a broken source. */
export async function buildNativeExamples (root: string, force: boolean): Promise<void> {
  try {
    const report = await buildNative({ root, force, log: line => { console.log(line) } })
    console.log(`C/Rust examples: ${report.built.length} built, ${report.upToDate.length} up to date, ${report.skipped.length} skipped`)
  } catch (err) {
    console.error(err instanceof NativeBuildError ? `build-examples: ${err.message}` : err)
    process.exitCode = 1
  }
}
