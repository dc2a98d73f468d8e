/**
 * The one piece of code that turns a function's source into an ABI v1 module: AssemblyScript with the kit
 * (imported as `edge-grid/kit`, from any folder) or WAT; the result is checked the way every host checks it,
 * so a module that would be refused at run time fails the build instead. Used by `grid-build`
 * (node-peer/cli/build.ts) and by `npm run build:wasm` (examples/build-examples.ts).
 */
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { checkAbi } from './abi-check.js'
import { compileAssemblyScript } from './assemblyscript.js'
import type { Diagnostic } from './errors.js'
import { OutputWriteError, SourceNotFoundError, UnsupportedSourceError } from './errors.js'
import { compileWat } from './wat.js'

export type SourceKind = 'assemblyscript' | 'wat'

/** The language of a source file, by its extension: `.ts` (not `.d.ts`) or `.wat`. */
export function sourceKind (file: string): SourceKind | undefined {
  if (file.endsWith('.ts') && !file.endsWith('.d.ts')) return 'assemblyscript'
  if (extname(file) === '.wat') return 'wat'
  return undefined
}

/**
 * Where a source's module goes by default: `build/<name>.wasm` beside the source, or beside its folder when
 * that folder is named `assembly` (`x/assembly/fn.ts` → `x/build/fn.wasm`, the examples' layout). Either way
 * a flow.json next to the source (or its `assembly` folder) names it `"wasm": "build/<name>.wasm"`.
 */
export function defaultOutput (source: string): string {
  const dir = dirname(source)
  const base = basename(dir) === 'assembly' ? dirname(dir) : dir
  return join(base, 'build', `${basename(source, extname(source))}.wasm`)
}

/** A path as shown to the user: relative to `cwd` when inside it, absolute otherwise. */
export function showPath (file: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, file)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file
}

export interface CompileOptions {
  /**
   * AssemblyScript's base directory: the module's failure messages name files relative to it
   * (`unlucky at fn.ts:6:3`). Default: the current directory when the source is inside it, else the
   * source's folder.
   */
  readonly baseDir?: string
  /** More asc flags, after the ABI's (e.g. `--runtime minimal`); for experts. */
  readonly ascFlags?: readonly string[]
}

export interface CompiledFunction {
  /** The source, absolute. */
  readonly source: string
  readonly kind: SourceKind
  /** The module, checked against ABI v1. */
  readonly bytes: Uint8Array
  /** Its functions (candidates for `"export"` in flow.json). */
  readonly functions: readonly string[]
  /** Compiler warnings (the build succeeded anyway). */
  readonly warnings: readonly Diagnostic[]
}

/**
 * Compiles one function source (relative paths are from the current directory). Throws a BuildError:
 * SourceNotFoundError, UnsupportedSourceError, CompileError (diagnostics with file:line:column) or
 * AbiCheckError (the module is not ABI v1, with hints).
 */
export async function compileFunction (source: string, options: CompileOptions = {}): Promise<CompiledFunction> {
  const file = resolve(source)
  const shown = showPath(file)
  const kind = sourceKind(file)
  if (kind == null) throw new UnsupportedSourceError(shown)
  const info = await stat(file).catch(() => undefined)
  if (info == null) throw new SourceNotFoundError(shown)
  if (!info.isFile()) throw new SourceNotFoundError(shown, 'is not a file')
  const baseDir = resolve(options.baseDir ?? (file.startsWith(process.cwd() + sep) ? process.cwd() : dirname(file)))
  const { bytes, warnings } = kind === 'wat'
    ? { bytes: await compileWat(file, shown), warnings: [] }
    : await compileAssemblyScript(file, { baseDir, show: f => showPath(f), ascFlags: options.ascFlags ?? [] })
  const { functions } = await checkAbi(bytes, shown)
  return { source: file, kind, bytes, functions, warnings }
}

export interface BuildFunctionOptions extends CompileOptions {
  /** Where to write the module (default: defaultOutput(source)); folders are created. */
  readonly output?: string
}

export interface BuiltFunction extends CompiledFunction {
  /** The module file written, absolute. */
  readonly output: string
  /** Compilation time. */
  readonly ms: number
}

/** compileFunction, then writes the module; throws what compileFunction throws, or OutputWriteError. */
export async function buildFunction (source: string, options: BuildFunctionOptions = {}): Promise<BuiltFunction> {
  const started = performance.now()
  const compiled = await compileFunction(source, options)
  const output = resolve(options.output ?? defaultOutput(compiled.source))
  try {
    await mkdir(dirname(output), { recursive: true })
    await writeFile(output, compiled.bytes)
  } catch (err) {
    throw new OutputWriteError(showPath(output), { cause: err })
  }
  return { ...compiled, output, ms: performance.now() - started }
}

/** `built build/fn.wasm (1.2 KiB, 0.9 s): double, triple`, the line both builders print. */
export function describeBuilt (built: BuiltFunction, shown: string = showPath(built.output)): string {
  const functions = built.functions.length > 0 ? `: ${built.functions.join(', ')}` : ''
  return `built ${shown} (${(built.bytes.length / 1024).toFixed(1)} KiB, ${(built.ms / 1000).toFixed(1)} s)${functions}`
}
