/**
 * Builds the example functions (and, for tests, any other ABI v1 source) to WebAssembly:
 *   examples/<name>/assembly/<file>.ts  →  examples/<name>/build/<file>.wasm   (AssemblyScript, asc JS API)
 *   examples/<name>/<file>.wat          →  examples/<name>/build/<file>.wasm   (WAT, wabt JS API)
 * Outputs newer than their inputs are skipped; `--force` rebuilds everything. Every output is checked
 * against ABI v1 (core/abi/host.ts `compileModule`) so a forbidden import fails the build, not the flow.
 *
 * Run by `npm run build:wasm` (`node dist/examples/build-examples.js [--force]`).
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import asc from 'assemblyscript/asc'
import wabtInit from 'wabt'
import { compileModule } from '../core/abi/host.js'
import { buildNativeExamples } from './build-native.js'

/** The repository root (this file runs as dist/examples/build-examples.js). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The AssemblyScript kit, relative to the root (asc names files by their path from `--baseDir`). */
export const KIT_DIR = 'core/abi/assemblyscript'

/**
 * asc flags for ABI v1 modules; core/abi/README.md explains each choice.
 * - `--importMemory`: the host creates `env.memory` with its cap as the maximum.
 * - `--runtime incremental`: a GC that runs during long calls too, so memory stays bounded across millions
 *   of calls on one instance and inside allocation-heavy calls (measured in the kit's tests).
 * - `--use abort=…`: AS's aborts become `grid.fail` with the message and file:line, and `env.abort` is not imported.
 * - `-O3`: speed over size; modules are shipped once per peer and cached by hash.
 */
export const ASC_FLAGS: readonly string[] = [
  '--importMemory',
  '--runtime', 'incremental',
  '--use', `abort=${KIT_DIR}/abi/gridAbort`,
  '-O3',
  '--noColors'
]

export class BuildError extends Error {
  static override name = 'BuildError'
  constructor (message: string) {
    super(message)
    this.name = 'BuildError'
  }
}

/** Hints for imports that AssemblyScript adds when a program uses something a pure function cannot have. */
const importHints: Record<string, string> = {
  'env.seed': 'Math.random is not available (functions must be pure and repeatable): derive a seeded PRNG, e.g. xorshift, from the input',
  'env.trace': 'trace() is not available: fail("…") with a message, or emit diagnostic values on a port of their own',
  'env.abort': `abort is not wired to grid.fail: compile with --use abort=${KIT_DIR}/abi/gridAbort and import the kit`,
  'Date.now': 'Date.now() is not available (functions must be pure): pass times in the input'
}

/** Checks compiled bytes against ABI v1, with hints for the usual AssemblyScript causes. */
export async function checkAbi (bytes: Uint8Array, source: string): Promise<void> {
  try {
    await compileModule(bytes)
  } catch (err) {
    const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>).catch(() => undefined)
    const hints = module == null
      ? []
      : WebAssembly.Module.imports(module).map(i => importHints[`${i.module}.${i.name}`]).filter((h): h is string => h != null)
    const missingMarker = module != null && !WebAssembly.Module.exports(module).some(e => e.name === 'grid_abi_1')
    if (missingMarker && extname(source) === '.ts') {
      hints.push(`re-export the ABI from your entry file: export { grid_abi_1, grid_alloc } from "<path to>/${KIT_DIR}"`)
    }
    throw new BuildError(`${source}: the module ${(err as Error).message}${hints.map(h => `\n  hint: ${h}`).join('')}`)
  }
}

/**
 * Compiles one AssemblyScript entry file (absolute, or relative to `root`) with ASC_FLAGS and returns the
 * checked module bytes. `root` is asc's base directory: the kit must be at `<root>/core/abi/assemblyscript`.
 */
export async function compileAssemblyScript (entry: string, root: string = REPO_ROOT, extraFlags: readonly string[] = []): Promise<Uint8Array> {
  const rel = relative(root, resolve(root, entry)).split(sep).join('/')
  let binary: Uint8Array | undefined
  const stderr = asc.createMemoryStream()
  const stdout = asc.createMemoryStream()
  const result = await asc.main([rel, '--baseDir', root, '--outFile', 'module.wasm', ...ASC_FLAGS, ...extraFlags], {
    stdout,
    stderr,
    writeFile: (name, contents) => {
      if (name.endsWith('module.wasm') && contents instanceof Uint8Array) binary = contents
    }
  })
  if (result.error != null || binary == null) {
    const diagnostics = stderr.toString().trim()
    throw new BuildError(`${rel}: AssemblyScript compilation failed${diagnostics !== '' ? `\n${diagnostics}` : `: ${result.error?.message ?? 'no output'}`}`)
  }
  await checkAbi(binary, rel)
  return binary
}

/** Assembles one WAT file and returns the checked module bytes. */
export async function compileWat (file: string): Promise<Uint8Array> {
  const wabt = await wabtInit()
  const text = await readFile(file, 'utf8')
  let binary: Uint8Array
  try {
    const module = wabt.parseWat(basename(file), text, { mutable_globals: true, bulk_memory: true, sign_extension: true })
    try {
      module.resolveNames()
      module.validate()
      binary = module.toBinary({}).buffer
    } finally {
      module.destroy()
    }
  } catch (err) {
    throw new BuildError(`${file}: WAT assembly failed\n${(err as Error).message}`)
  }
  await checkAbi(binary, file)
  return binary
}

export interface BuildTarget {
  readonly kind: 'assemblyscript' | 'wat'
  /** The entry file. */
  readonly source: string
  /** Files whose changes make the output stale. */
  readonly inputs: readonly string[]
  readonly output: string
}

async function listFiles (dir: string, ext: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter(e => e.isFile() && e.name.endsWith(ext))
      .map(e => join(dir, e.name))
      .sort()
  } catch {
    return []
  }
}

/** Every example entry under `<root>/examples`, with its output path and the files it depends on. */
export async function findTargets (root: string = REPO_ROOT): Promise<BuildTarget[]> {
  const examplesDir = join(root, 'examples')
  const kitFiles = await listFiles(join(root, KIT_DIR), '.ts')
  const targets: BuildTarget[] = []
  const dirs = (await readdir(examplesDir, { withFileTypes: true })).filter(e => e.isDirectory()).map(e => e.name).sort()
  for (const name of dirs) {
    const dir = join(examplesDir, name)
    const buildDir = join(dir, 'build')
    const asFiles = await listFiles(join(dir, 'assembly'), '.ts')
    for (const source of asFiles) {
      targets.push({ kind: 'assemblyscript', source, inputs: [...asFiles, ...kitFiles], output: join(buildDir, `${basename(source, '.ts')}.wasm`) })
    }
    for (const source of await listFiles(dir, '.wat')) {
      targets.push({ kind: 'wat', source, inputs: [source], output: join(buildDir, `${basename(source, '.wat')}.wasm`) })
    }
  }
  return targets
}

async function mtime (file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs
  } catch {
    return undefined
  }
}

/** True when the output exists and is at least as new as every input. */
export async function isUpToDate (target: BuildTarget): Promise<boolean> {
  const out = await mtime(target.output)
  if (out == null) return false
  for (const input of target.inputs) {
    const t = await mtime(input)
    if (t == null || t > out) return false
  }
  return true
}

export interface BuildOptions {
  readonly root?: string
  /** Rebuild even when outputs are up to date. */
  readonly force?: boolean
  /** Progress lines; default: none. */
  readonly log?: (line: string) => void
}

export interface BuildReport {
  readonly built: readonly string[]
  readonly upToDate: readonly string[]
}

/** Builds every example target; stops at the first failure with a BuildError. */
export async function buildExamples (options: BuildOptions = {}): Promise<BuildReport> {
  const root = options.root ?? REPO_ROOT
  const log = options.log ?? (() => {})
  const built: string[] = []
  const upToDate: string[] = []
  // Sequential on purpose: asc is not documented as re-entrant, and the build is a few seconds per file.
  for (const target of await findTargets(root)) {
    const shown = relative(root, target.output)
    if (options.force !== true && await isUpToDate(target)) {
      upToDate.push(shown)
      continue
    }
    const started = performance.now()
    const bytes = target.kind === 'wat' ? await compileWat(target.source) : await compileAssemblyScript(target.source, root)
    await mkdir(dirname(target.output), { recursive: true })
    await writeFile(target.output, bytes)
    built.push(shown)
    log(`built ${shown} (${(bytes.length / 1024).toFixed(1)} KiB, ${((performance.now() - started) / 1000).toFixed(1)} s)`)
  }
  return { built, upToDate }
}

async function main (argv: readonly string[]): Promise<void> {
  const force = argv.includes('--force')
  try {
    const report = await buildExamples({ force, log: line => { console.log(line) } })
    console.log(`examples: ${report.built.length} built, ${report.upToDate.length} up to date`)
    await buildNativeExamples(REPO_ROOT, force)
  } catch (err) {
    console.error(err instanceof BuildError ? `build-examples: ${err.message}` : err)
    process.exitCode = 1
  }
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main(process.argv.slice(2))
}
