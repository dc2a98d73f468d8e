/**
 * Step 4 of validation: the WebAssembly modules. Reads each .wasm file once (several functions may share
 * one), compiles it with the static checks of the ABI its function declares (ABI v1, or a WASI command),
 * and checks that every named export exists, so a flow that passes validation does not fail later on a
 * module it could have checked up front. A JavaScript function's file is its module: it must load in QuickJS
 * and export the named function (check-js.ts).
 */
import { DEFAULT_LIMITS } from '../abi/abi.js'
import { compileModule, sha256Hex } from '../abi/host.js'
import { compileWasiCommand } from '../abi/wasi/command.js'
import { looksLikeWasi } from '../abi/wasi/inspect.js'
import { START_EXPORT, WASI_MODULE } from '../abi/wasi/preview1.js'
import { checkJsModule } from './check-js.js'
import { FlowValidationError, ModuleRejectedError } from '../errors.js'
import type { FlowSpec, FunctionSpec } from './model.js'
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
    const key = `${fn.abi ?? 'v1'}:${fn.wasm}`
    let compiled = byPath.get(key)
    if (compiled === undefined) {
      const bytes = await files.read(fn.wasm)
      if (bytes === undefined && fn.abi === 'js') {
        throw new FlowValidationError(spec.file, `${path}.js`, `an existing JavaScript file (relative to the flow file's folder), but ${fn.js} does not exist or is not a file`)
      }
      if (bytes === undefined) {
        const others = Object.values(spec.functions).filter(f => f.wasm === fn.wasm && f !== fn).map(f => `functions.${f.name}`)
        const shared = others.length > 0 ? ` (also the module of ${others.join(', ')})` : ''
        throw new FlowValidationError(spec.file, `${path}.wasm`, `an existing .wasm file (relative to the flow file's folder), but ${fn.wasm} does not exist or is not a file${shared}${await notBuiltHint(fn.wasm, files)}`)
      }
      compiled = { module: { bytes, hash: await sha256Hex(bytes) }, functions: await checkModule(spec.file, path, fn, bytes) }
      byPath.set(key, compiled)
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

/** The module's callable functions, after the checks of the ABI `fn` declares; FlowValidationError otherwise. */
async function checkModule (file: string, path: string, fn: FunctionSpec, bytes: Uint8Array): Promise<readonly string[]> {
  if (fn.abi === 'js') return await checkJsModule(file, path, fn.js, bytes)
  let module: WebAssembly.Module | undefined
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)
  } catch {
    // compileModule below reports it
  }
  if (fn.abi === 'wasi') {
    if (module !== undefined && !looksLikeWasi(module)) {
      throw new FlowValidationError(file, `${path}.abi`, `"v1" or nothing: ${fn.wasm} is not a WASI command but ${describeNonWasi(module)}, so drop "abi": "wasi" (and "io")`)
    }
    try {
      await compileWasiCommand(bytes, DEFAULT_LIMITS.maxMemoryPages)
    } catch (err) {
      if (!(err instanceof ModuleRejectedError)) throw err
      throw new FlowValidationError(file, `${path}.wasm`, `a WASI preview 1 command module, but ${fn.wasm} ${err.message}`)
    }
    return [START_EXPORT]
  }
  if (module !== undefined && looksLikeWasi(module)) {
    const wasiImport = WebAssembly.Module.imports(module).find(i => i.module === WASI_MODULE)
    const evidence = wasiImport !== undefined ? `it imports "${WASI_MODULE}.${wasiImport.name}"` : `it exports "${START_EXPORT}"`
    throw new FlowValidationError(file, `${path}.abi`, `"wasi" for ${fn.wasm}: it is a WASI command (${evidence}), not an edge-grid ABI v1 module; declare "abi": "wasi" and an "io" mode ("json", "msgpack" or "bytes")`)
  }
  try {
    return (await compileModule(bytes)).info.functions
  } catch (err) {
    if (!(err instanceof ModuleRejectedError)) throw err
    throw new FlowValidationError(file, `${path}.wasm`, `a module following the edge-grid function ABI v1, but ${fn.wasm} ${err.message}`)
  }
}

function describeNonWasi (module: WebAssembly.Module): string {
  if (WebAssembly.Module.exports(module).some(e => /^grid_abi_\d+$/.test(e.name))) return 'an edge-grid ABI v1 module (it exports grid_abi_1)'
  const imp = WebAssembly.Module.imports(module)[0]
  return imp !== undefined ? `a module importing "${imp.module}.${imp.name}"` : 'a module with no WASI imports and no _start'
}
