/**
 * Validation of a JavaScript function's file (`"js": "fn.js"`): UTF-8 text that loads as an ES module in
 * the same engine the sandboxes use (core/abi/js/), within the memory cap and 2 s of top-level code. Gives
 * the names of the functions it exports, which load-modules.ts checks `export` against.
 */
import { DEFAULT_LIMITS } from '../abi/abi.js'
import { inspectJsModule } from '../abi/js/host.js'
import { decodeJsSource } from '../abi/js/source.js'
import { FlowValidationError, ModuleRejectedError } from '../errors.js'

export async function checkJsModule (file: string, path: string, js: string, bytes: Uint8Array): Promise<readonly string[]> {
  try {
    const source = decodeJsSource(bytes)
    return await inspectJsModule(source, js, DEFAULT_LIMITS.maxMemoryPages * 65536)
  } catch (err) {
    if (!(err instanceof ModuleRejectedError)) throw err
    throw new FlowValidationError(file, `${path}.js`, `a JavaScript module exporting the function, but ${js} ${err.message}`)
  }
}
