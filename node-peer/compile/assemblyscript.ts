/**
 * Compiles an AssemblyScript entry file to an ABI v1 module with asc's JS API (assemblyscript 0.28), the
 * kit resolved as `edge-grid/kit` from any folder. Flags are fixed here, not read from an asconfig.json.
 */
import { readFile } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'
import asc from 'assemblyscript/asc'
import type { Diagnostic } from './errors.js'
import { CompileError } from './errors.js'
import { KIT_DIR, KIT_IMPORT } from './kit.js'

/**
 * asc's name for the kit's files: a non-relative import `x/y` is a library path `~lib/x/y`, looked up in the
 * `--lib` folders (before node_modules). LIB_ROOT is such a folder that exists only for our `readFile`:
 * `<LIB_ROOT>/edge-grid/kit/<file>` is read from `<KIT_DIR>/<file>`. It has no top-level files, so `--lib`
 * adds no globals.
 */
const KIT_LIBRARY_PATH = `~lib/${KIT_IMPORT}/`
const LIB_ROOT = join(KIT_DIR, '.asc-lib')
const KIT_VIRTUAL_DIR = join(LIB_ROOT, ...KIT_IMPORT.split('/'))

/**
 * asc flags for ABI v1 modules; core/abi/README.md explains each choice.
 * - `--importMemory`: the host creates `env.memory` with its cap as the maximum.
 * - `--runtime incremental`: a GC that runs during long calls too, so memory stays bounded across millions
 *   of calls on one instance and inside allocation-heavy calls (measured in the kit's tests).
 * - `--use abort=…`: AS's aborts become `grid.fail` with the message and file:line, and `env.abort` is not
 *   imported. The element is named by its library path, the same from every folder.
 * - `-O3`: speed over size; modules are shipped once per peer and cached by hash.
 */
export const ASC_FLAGS: readonly string[] = [
  '--importMemory',
  '--runtime', 'incremental',
  '--use', `abort=${KIT_LIBRARY_PATH}abi/gridAbort`,
  '-O3',
  '--noColors'
]

export interface AssemblyScriptOptions {
  /** asc's base directory (absolute): file names in the module's failure messages are relative to it. */
  readonly baseDir: string
  /** How a file is shown in diagnostics (default: its absolute path). */
  readonly show?: (file: string) => string
  /** More asc flags, after ASC_FLAGS (e.g. `--runtime minimal`). */
  readonly ascFlags?: readonly string[]
}

export interface AssemblyScriptOutput {
  readonly bytes: Uint8Array
  readonly warnings: readonly Diagnostic[]
}

/** What asc's `reportDiagnostic` hands over (assemblyscript/dist/asc.d.ts `DiagnosticMessage`). */
interface AscDiagnostic {
  message: string
  code: number
  category: number
  range: { start: number, end: number, source: { normalizedPath: string } | null } | null
}

/** asc is not documented as re-entrant: one compilation at a time per process. */
let queue: Promise<unknown> = Promise.resolve()

/** Compiles `entry` (absolute path) with ASC_FLAGS; throws CompileError with located diagnostics. */
export async function compileAssemblyScript (entry: string, options: AssemblyScriptOptions): Promise<AssemblyScriptOutput> {
  const run = queue.then(async () => await compileNow(entry, options))
  queue = run.catch(() => {})
  return await run
}

async function compileNow (entry: string, options: AssemblyScriptOptions): Promise<AssemblyScriptOutput> {
  const { baseDir } = options
  const show = options.show ?? ((file: string) => file)
  const texts = new Map<string, string>() // absolute path → text, for locating diagnostics
  const kitReadByPath: string[] = []
  const diagnostics: AscDiagnostic[] = []
  let binary: Uint8Array | undefined
  const stderr = asc.createMemoryStream()
  const result = await asc.main([entry, '--baseDir', baseDir, '--lib', LIB_ROOT, '--outFile', 'module.wasm', ...ASC_FLAGS, ...(options.ascFlags ?? [])], {
    stdout: asc.createMemoryStream(),
    stderr,
    readFile: async (name: string, dir: string) => {
      let file = resolve(dir, name)
      if (file === resolve(baseDir, 'asconfig.json')) return null // the flags are the ABI's, not a project's
      if (file.startsWith(LIB_ROOT + sep)) {
        if (!file.startsWith(KIT_VIRTUAL_DIR + sep)) return null // e.g. `edge-grid/kit.ts`: the kit is a folder
        file = join(KIT_DIR, file.slice(KIT_VIRTUAL_DIR.length + 1))
      } else if (file.startsWith(KIT_DIR + sep)) {
        kitReadByPath.push(file)
      }
      try {
        const text = await readFile(file, 'utf8')
        texts.set(file, text)
        return text
      } catch {
        return null
      }
    },
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name.endsWith('module.wasm') && contents instanceof Uint8Array) binary = contents
    },
    reportDiagnostic: (d: AscDiagnostic) => { diagnostics.push(d) }
  })
  const fileOf = (path: string): string | undefined =>
    path.startsWith(KIT_LIBRARY_PATH)
      ? join(KIT_DIR, path.slice(KIT_LIBRARY_PATH.length))
      : path.startsWith('~lib/') ? undefined : resolve(baseDir, path)
  const located = diagnostics.map(d => locate(d, fileOf, texts, show))
  if (kitReadByPath.length > 0) throw kitImportedByPath(entry, texts, show)
  if (result.error != null || binary == null) {
    // AS111 on our own `--use abort=…` element: the program never imported the kit
    const noKit = (d: Diagnostic): boolean => d.code === 'AS111' && d.message.includes(`${KIT_LIBRARY_PATH}abi/gridAbort`)
    const errors = located.filter(d => d.severity === 'error').map(d => noKit(d)
      ? { ...d, message: `does not import the kit ("${KIT_IMPORT}"), which provides the ABI exports and the abort handler`, file: show(entry) }
      : d)
    const shown = errors.length > 0
      ? errors
      : [{ severity: 'error' as const, code: '', message: stderr.toString().trim() || (result.error?.message ?? 'asc wrote no module') }]
    const hints = located.some(noKit) ? [`start the file with: export { grid_abi_1, grid_alloc } from "${KIT_IMPORT}";`] : []
    throw new CompileError(show(entry), shown, hints)
  }
  return { bytes: binary, warnings: located.filter(d => d.severity !== 'error') }
}

/** asc's DiagnosticCategory: 0 pedantic, 1 info, 2 warning, 3 error; codes below 1000 are AS's own. */
function locate (d: AscDiagnostic, fileOf: (path: string) => string | undefined, texts: ReadonlyMap<string, string>, show: (file: string) => string): Diagnostic {
  const severity = d.category === 3 ? 'error' : d.category === 2 ? 'warning' : 'info'
  const code = `${d.code < 1000 ? 'AS' : 'TS'}${d.code}`
  const path = d.range?.source?.normalizedPath
  if (path == null || d.range == null) return { severity, code, message: d.message }
  const file = fileOf(path)
  const text = file == null ? undefined : texts.get(file)
  if (file == null || text == null) return { severity, code, message: d.message, file: path }
  const { start, end } = d.range
  const lineStart = text.lastIndexOf('\n', start - 1) + 1
  const lineEnd = text.indexOf('\n', start) < 0 ? text.length : text.indexOf('\n', start)
  const line = text.slice(0, start).split('\n').length
  const column = start - lineStart + 1
  const source = text.slice(lineStart, lineEnd).replace(/\r$/, '')
  const width = Math.max(1, Math.min(end, lineEnd) - start)
  const gutter = String(line)
  const excerpt = `${gutter} │ ${source}\n${' '.repeat(gutter.length)} │ ${source.slice(0, column - 1).replace(/[^\t]/g, ' ')}${'~'.repeat(width)}`
  return { severity, code, message: d.message, file: show(file), line, column, excerpt }
}

/** The kit was imported by its path: it would be a second copy, without the abort handler grid-build wires. */
function kitImportedByPath (entry: string, texts: ReadonlyMap<string, string>, show: (file: string) => string): CompileError {
  const found: Diagnostic[] = []
  for (const [file, text] of texts) {
    if (file.startsWith(KIT_DIR + sep)) continue
    text.split('\n').forEach((source, i) => {
      const m = /(["'])([^"']*abi\/assemblyscript[^"']*)\1/.exec(source)
      if (m != null && /\b(from|import)\b/.test(source)) {
        found.push({ severity: 'error', code: '', message: `imports the kit by its path "${m[2]}"`, file: show(file), line: i + 1, column: m.index + 1 })
      }
    })
  }
  const kit = relative(process.cwd(), KIT_DIR)
  return new CompileError(show(entry), found.length > 0 ? found : [{ severity: 'error', code: '', message: `a source imports the kit by its path (${kit})` }], [
    `import the kit as "${KIT_IMPORT}" (e.g. export { grid_abi_1, grid_alloc } from "${KIT_IMPORT}"; and import { inputInt, emitInt } from "${KIT_IMPORT}";): grid-build resolves that name from any folder`
  ])
}
