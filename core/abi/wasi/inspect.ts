/**
 * Static checks of a compiled module against the WASI contract (core/abi/README.md, "WASI commands"), done
 * before any instance exists: only functions of WASI preview 1 may be imported (no ambient authority beyond
 * what the host emulates), `_start` and the module's own `memory` must be exported.
 */
import { ModuleRejectedError } from '../../errors.js'
import { MEMORY_EXPORT, PREVIEW1_FUNCTIONS, START_EXPORT, WASI_MODULE } from './preview1.js'

/**
 * True when the module is meant for a WASI host: it imports from WASI preview 1 or exports `_start`, and shows
 * no sign of ABI v1 (a `grid_abi_N` export, an `env.memory` or `grid.*` import), which wins: an ABI v1 module
 * importing a WASI function is an ABI v1 module with a forbidden import, and is told so.
 */
export function looksLikeWasi (module: WebAssembly.Module): boolean {
  const imports = WebAssembly.Module.imports(module)
  const exports = WebAssembly.Module.exports(module)
  const abiV1 = exports.some(e => /^grid_abi_\d+$/.test(e.name)) ||
    imports.some(i => i.module === 'grid' || (i.module === 'env' && i.name === 'memory'))
  if (abiV1) return false
  return imports.some(i => i.module === WASI_MODULE) || exports.some(e => e.name === START_EXPORT)
}

/** Throws ModuleRejectedError (its message follows "the module …") unless the module is a WASI command we can run. */
export function inspectWasiModule (module: WebAssembly.Module): void {
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== WASI_MODULE || imp.kind !== 'function') {
      throw new ModuleRejectedError(`imports ${imp.kind} "${imp.module}.${imp.name}", which the WASI host does not provide (a WASI function may import only functions of "${WASI_MODULE}")`)
    }
    if (!PREVIEW1_FUNCTIONS.has(imp.name)) {
      throw new ModuleRejectedError(`imports "${WASI_MODULE}.${imp.name}", which is not a function of WASI preview 1`)
    }
  }
  const exports = WebAssembly.Module.exports(module)
  if (!exports.some(e => e.name === START_EXPORT && e.kind === 'function')) {
    throw new ModuleRejectedError(`does not export the function "${START_EXPORT}": not a WASI command (build a program with a main function; WASI reactors are not supported yet)`)
  }
  if (!exports.some(e => e.name === MEMORY_EXPORT && e.kind === 'memory')) {
    throw new ModuleRejectedError(`does not export its memory as "${MEMORY_EXPORT}", which a WASI command must do`)
  }
}
