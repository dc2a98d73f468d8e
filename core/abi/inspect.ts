/**
 * Static checks of a compiled module against ABI v1, done before any instance exists: the module may
 * import nothing beyond the ABI (no ambient authority), must take its memory from the host (so the host
 * sets the maximum), and must export the version marker and the allocator.
 */
import { ABI_MARKER_EXPORT, ALLOC_EXPORT, EMIT_IMPORT, FAIL_IMPORT, IMPORT_MODULE, MEMORY_IMPORT } from './abi.js'
import { ModuleRejectedError } from '../errors.js'

export interface ModuleInfo {
  /** Names of exported functions other than the ABI's own (candidates for `export` in flow.json). */
  readonly functions: readonly string[]
}

const allowedFunctionImports = new Set([EMIT_IMPORT, FAIL_IMPORT])

export function inspectModule (module: WebAssembly.Module): ModuleInfo {
  let importsMemory = false
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === 'memory' && imp.module === MEMORY_IMPORT.module && imp.name === MEMORY_IMPORT.name) {
      importsMemory = true
      continue
    }
    if (imp.kind === 'function' && imp.module === IMPORT_MODULE && allowedFunctionImports.has(imp.name)) continue
    throw new ModuleRejectedError(`imports ${imp.kind} "${imp.module}.${imp.name}", which ABI v1 does not provide (allowed: memory "${MEMORY_IMPORT.module}.${MEMORY_IMPORT.name}", functions "${IMPORT_MODULE}.${EMIT_IMPORT}", "${IMPORT_MODULE}.${FAIL_IMPORT}")`)
  }
  if (!importsMemory) {
    throw new ModuleRejectedError(`must import its memory as "${MEMORY_IMPORT.module}.${MEMORY_IMPORT.name}" (AssemblyScript: --importMemory; clang: -Wl,--import-memory) so the host can cap it`)
  }
  const exports = WebAssembly.Module.exports(module)
  const names = new Set(exports.map(e => e.name))
  if (!names.has(ABI_MARKER_EXPORT)) {
    const other = exports.find(e => /^grid_abi_\d+$/.test(e.name))
    throw new ModuleRejectedError(other != null
      ? `declares ${other.name}, but this host speaks ${ABI_MARKER_EXPORT}`
      : `does not export "${ABI_MARKER_EXPORT}": not an edge-grid ABI v1 module`)
  }
  if (!exports.some(e => e.name === ALLOC_EXPORT && e.kind === 'function')) {
    throw new ModuleRejectedError(`does not export the function "${ALLOC_EXPORT}(size: i32) -> i32"`)
  }
  const functions = exports
    .filter(e => e.kind === 'function' && e.name !== ALLOC_EXPORT && e.name !== ABI_MARKER_EXPORT)
    .map(e => e.name)
  return { functions }
}
