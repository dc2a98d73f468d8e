/** The errors of building a function (node-peer/compile): every one is a BuildError, so callers can catch them all. */
import { GridError } from '../../core/errors.js'

/** Building a function failed; the message says which file and what to do. */
export class BuildError extends GridError {
  static override name = 'BuildError'
}

/** The source file does not exist (or is a folder). */
export class SourceNotFoundError extends BuildError {
  static override name = 'SourceNotFoundError'
  constructor (readonly file: string, reason = 'no such file') {
    super(`${file}: ${reason}`)
  }
}

/** The source is not a language grid-build compiles. */
export class UnsupportedSourceError extends BuildError {
  static override name = 'UnsupportedSourceError'
  constructor (readonly file: string) {
    super(`${file}: not a function source: expected an AssemblyScript file (.ts) or a WebAssembly text file (.wat)`)
  }
}

/** One compiler message, located in a file when the compiler says where. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning' | 'info'
  /** `TS2304`, `AS111`, … (empty when the compiler gives none) */
  readonly code: string
  readonly message: string
  /** The file as shown to the user (relative to the current directory when inside it). */
  readonly file?: string
  /** 1-based */
  readonly line?: number
  /** 1-based */
  readonly column?: number
  /** The source line, and a `~~~` line under the range. */
  readonly excerpt?: string
}

/** `file:line:column: error TS2304: message`, then the excerpt, indented. */
export function formatDiagnostic (d: Diagnostic): string {
  const where = d.file == null ? '' : `${d.file}${d.line != null ? `:${d.line}:${d.column ?? 1}` : ''}: `
  const head = `${where}${d.severity}${d.code !== '' ? ` ${d.code}` : ''}: ${d.message}`
  return d.excerpt == null ? head : `${head}\n${d.excerpt.split('\n').map(l => `    ${l}`).join('\n')}`
}

/** The compiler refused the source; `diagnostics` are its errors (and warnings), with file:line:column. */
export class CompileError extends BuildError {
  static override name = 'CompileError'
  constructor (readonly file: string, readonly diagnostics: readonly Diagnostic[], hints: readonly string[] = []) {
    const errors = diagnostics.filter(d => d.severity === 'error')
    const head = `${file}: compilation failed${errors.length > 0 ? ` with ${errors.length} error${errors.length === 1 ? '' : 's'}` : ''}`
    super([head, ...diagnostics.map(formatDiagnostic), ...hints.map(h => `hint: ${h}`)].join('\n'))
  }
}

/** The module compiled but is not an ABI v1 module (a forbidden import, a missing export, …). */
export class AbiCheckError extends BuildError {
  static override name = 'AbiCheckError'
  constructor (readonly file: string, reason: string, readonly hints: readonly string[], options?: ErrorOptions) {
    super(`${file}: the module ${reason}${hints.map(h => `\nhint: ${h}`).join('')}`, options)
  }
}

/** The module was built but could not be written (permissions, a full disk, a file where a folder should be). */
export class OutputWriteError extends BuildError {
  static override name = 'OutputWriteError'
  constructor (readonly file: string, options?: ErrorOptions) {
    super(`cannot write ${file}: ${(options?.cause as Error | undefined)?.message ?? 'unknown error'}`, options)
  }
}
