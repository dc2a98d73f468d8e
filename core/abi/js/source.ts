/**
 * A JavaScript function's module bytes are its source text, UTF-8: the code protocol ships them by the
 * sha256 of those bytes like any .wasm file. Told apart from WebAssembly by the missing `\0asm` magic.
 */
import { ModuleRejectedError } from '../../errors.js'

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]

/** True when `bytes` start as every WebAssembly binary does; anything else is taken for JavaScript source. */
export function isWasmBinary (bytes: Uint8Array): boolean {
  return WASM_MAGIC.every((b, i) => bytes[i] === b)
}

/** The source text; ModuleRejectedError when the bytes are not UTF-8. */
export function decodeJsSource (bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw new ModuleRejectedError('is neither WebAssembly nor UTF-8 JavaScript source')
  }
}
