/**
 * Turns announced module bytes into the message every sandbox gets: checks the content hash, compiles once
 * for the ABI the module is built for (ABI v1 or a WASI command, core/abi/modules.ts) and applies the memory
 * cap. Done once per pool, so sandboxes never recompile. Bytes that are not WebAssembly are a JavaScript
 * function's source (core/abi/js/source.ts): checked to be UTF-8 and sent as text.
 */
import type { AbiLimits } from '../abi/abi.js'
import { sha256Hex } from '../abi/host.js'
import { compileFunctionModule } from '../abi/modules.js'
import { decodeJsSource, isWasmBinary } from '../abi/js/source.js'
import { ModuleRejectedError } from '../errors.js'
import type { AddModule } from './messages.js'

export async function prepareModule (hash: string, bytes: Uint8Array, limits: AbiLimits): Promise<AddModule> {
  const actual = await sha256Hex(bytes)
  if (actual !== hash) throw new ModuleRejectedError(`bytes hash to ${actual}, not to the announced ${hash}`)
  if (!isWasmBinary(bytes)) return { type: 'module', hash, abi: 'js', source: decodeJsSource(bytes) }
  const cap = limits.maxMemoryPages
  const found = await compileFunctionModule(bytes, cap)
  if (found.abi === 'wasi') {
    const { module, minimumPages, maximumPages, reusable } = found.compiled
    return { type: 'module', hash, module, memory: { minimumPages, maximumPages }, abi: 'wasi', reusable }
  }
  const compiled = found.compiled
  if (compiled.memory.minimumPages > cap) {
    throw new ModuleRejectedError(`asks for ${compiled.memory.minimumPages} memory pages at start, above the cap of ${cap}`)
  }
  return { type: 'module', hash, module: compiled.module, memory: compiled.memory }
}
