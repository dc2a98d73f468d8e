/**
 * Builds the example functions to WebAssembly, with the same code as `grid-build`
 * (node-peer/compile/compile-function.ts):
 *   examples/<name>/assembly/<file>.ts  →  examples/<name>/build/<file>.wasm   (AssemblyScript + the kit)
 *   examples/<name>/<file>.wat          →  examples/<name>/build/<file>.wasm   (WAT)
 * Outputs newer than their inputs are skipped; `--force` rebuilds everything. Every output is checked
 * against ABI v1, so a forbidden import fails the build, not the flow.
 *
 * Run by `npm run build:wasm` (`node dist/examples/build-examples.js [--force]`).
 */
import { readdir, stat } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildFunction, defaultOutput, describeBuilt, sourceKind } from '../node-peer/compile/compile-function.js'
import type { SourceKind } from '../node-peer/compile/compile-function.js'
import { BuildError } from '../node-peer/compile/errors.js'
import { KIT_DIR, REPO_ROOT } from '../node-peer/compile/kit.js'

export { REPO_ROOT }

export interface BuildTarget {
  readonly kind: SourceKind
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
  const kitFiles = await listFiles(KIT_DIR, '.ts')
  const targets: BuildTarget[] = []
  const dirs = (await readdir(examplesDir, { withFileTypes: true })).filter(e => e.isDirectory()).map(e => e.name).sort()
  for (const name of dirs) {
    const dir = join(examplesDir, name)
    const asFiles = (await listFiles(join(dir, 'assembly'), '.ts')).filter(f => sourceKind(f) === 'assemblyscript')
    for (const source of asFiles) {
      targets.push({ kind: 'assemblyscript', source, inputs: [...asFiles, ...kitFiles], output: defaultOutput(source) })
    }
    for (const source of await listFiles(dir, '.wat')) {
      targets.push({ kind: 'wat', source, inputs: [source], output: defaultOutput(source) })
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
  // Sequential: asc compiles one module at a time anyway, and the build is a few seconds per file.
  for (const target of await findTargets(root)) {
    const shown = relative(root, target.output)
    if (options.force !== true && await isUpToDate(target)) {
      upToDate.push(shown)
      continue
    }
    // the root as base directory: failure messages name `examples/<name>/assembly/<file>.ts:line:column`
    log(describeBuilt(await buildFunction(target.source, { output: target.output, baseDir: root }), shown))
    built.push(shown)
  }
  return { built, upToDate }
}

async function main (argv: readonly string[]): Promise<void> {
  const force = argv.includes('--force')
  try {
    const report = await buildExamples({ force, log: line => { console.log(line) } })
    console.log(`examples: ${report.built.length} built, ${report.upToDate.length} up to date`)
  } catch (err) {
    console.error(err instanceof BuildError ? `build-examples: ${err.message}` : err)
    process.exitCode = 1
  }
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main(process.argv.slice(2))
}
