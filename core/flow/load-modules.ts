/**
 * Step 4 of validation: the WebAssembly modules. Reads each .wasm file once (several functions may share
 * one), compiles it with the ABI's static checks, and checks that every named export exists, so a flow
 * that passes validation does not fail later on a module it could have checked up front.
 */
import { compileModule, sha256Hex } from '../abi/host.js'
import { FlowValidationError, ModuleRejectedError } from '../errors.js'
import type { FlowSpec } from './model.js'
import { notBuiltHint } from './missing-module.js'
import { didYouMean } from './parse-fields.js'

export interface LoadedModule {
  readonly bytes: Uint8Array
  /** Lower-case hex sha256 of `bytes`: the module's name in jobs and caches. */
  readonly hash: string
}

export interface ModuleReader {
  read (path: string): Promise<Uint8Array | undefined>
  /** Whether a regular file exists: used to name the source of a missing module. */
  exists (path: string): Promise<boolean>
}

interface Compiled {
  readonly module: LoadedModule
  readonly functions: readonly string[]
}

/** `implicitExports`: functions written without `export` (their name is used), to say so in messages. */
export async function loadModules (spec: FlowSpec, files: ModuleReader, implicitExports: ReadonlySet<string> = new Set()): Promise<Map<string, LoadedModule>> {
  const byPath = new Map<string, Compiled>()
  const modules = new Map<string, LoadedModule>()
  for (const fn of Object.values(spec.functions)) {
    const path = `functions.${fn.name}`
    let compiled = byPath.get(fn.wasm)
    if (compiled === undefined) {
      const bytes = await files.read(fn.wasm)
      if (bytes === undefined) {
        const others = Object.values(spec.functions).filter(f => f.wasm === fn.wasm && f !== fn).map(f => `functions.${f.name}`)
        const shared = others.length > 0 ? ` (also the module of ${others.join(', ')})` : ''
        throw new FlowValidationError(spec.file, `${path}.wasm`, `an existing .wasm file (relative to the flow file's folder), but ${fn.wasm} does not exist or is not a file${shared}${await notBuiltHint(fn.wasm, files)}`)
      }
      let functions: readonly string[]
      try {
        functions = (await compileModule(bytes)).info.functions
      } catch (err) {
        if (!(err instanceof ModuleRejectedError)) throw err
        throw new FlowValidationError(spec.file, `${path}.wasm`, `a module following the edge-grid function ABI v1, but ${fn.wasm} ${err.message}`)
      }
      compiled = { module: { bytes, hash: await sha256Hex(bytes) }, functions }
      byPath.set(fn.wasm, compiled)
    }
    if (!compiled.functions.includes(fn.export)) {
      const list = compiled.functions.length === 0 ? 'it exports no callable functions' : `its functions: ${compiled.functions.join(', ')}`
      const implicit = implicitExports.has(fn.name) ? ' (with no "export" field, the function\'s own name is used)' : ''
      throw new FlowValidationError(spec.file, `${path}.export`, `the name of a function exported by ${fn.wasm}, got ${JSON.stringify(fn.export)}${implicit}${didYouMean(fn.export, compiled.functions)}; ${list}`)
    }
    modules.set(fn.name, compiled.module)
  }
  return modules
}
