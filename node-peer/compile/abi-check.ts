/** Checks a compiled module against ABI v1 at build time, with hints for the usual AssemblyScript causes. */
import { compileModule } from '../../core/abi/host.js'
import type { ModuleInfo } from '../../core/abi/inspect.js'
import { AbiCheckError } from './errors.js'
import { KIT_IMPORT } from './kit.js'

/** Hints for imports that AssemblyScript adds when a program uses something a pure function cannot have. */
const importHints: Record<string, string> = {
  'env.seed': 'Math.random is not available (functions must be pure and repeatable): derive a seeded PRNG, e.g. xorshift, from the input',
  'env.trace': 'trace() is not available: fail("…") with a message, or emit diagnostic values on a port of their own',
  'env.abort': `abort is not wired to grid.fail: build with grid-build (it replaces abort with the kit's) and import the kit as "${KIT_IMPORT}"`,
  'Date.now': 'Date.now() is not available (functions must be pure): pass times in the input'
}

/**
 * Throws AbiCheckError when `bytes` is not an ABI v1 module (the same check every host makes before running
 * it, core/abi/host.ts `compileModule`); returns what the module offers otherwise. `file` names it in messages.
 */
export async function checkAbi (bytes: Uint8Array, file: string): Promise<ModuleInfo> {
  try {
    return (await compileModule(bytes)).info
  } catch (err) {
    const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>).catch(() => undefined)
    const hints = module == null
      ? []
      : WebAssembly.Module.imports(module).map(i => importHints[`${i.module}.${i.name}`]).filter((h): h is string => h != null)
    const missingMarker = module != null && !WebAssembly.Module.exports(module).some(e => e.name === 'grid_abi_1')
    if (missingMarker && file.endsWith('.ts')) {
      hints.push(`re-export the ABI from your entry file: export { grid_abi_1, grid_alloc } from "${KIT_IMPORT}";`)
    }
    throw new AbiCheckError(file, (err as Error).message, hints, { cause: err })
  }
}
