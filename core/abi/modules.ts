/**
 * One entry point for executors: compiles a function module for the ABI it is built for. ABI v1 modules
 * (core/abi/host.ts) and WASI commands (core/abi/wasi/) are told apart by what they import and export; a job
 * then names the ABI it expects (`FunctionRef.wasi`), and a mismatch fails the job with a clear message.
 */
import { compileModule } from './host.js'
import type { CompiledModule } from './host.js'
import { ModuleRejectedError } from '../errors.js'
import { compileWasiCommand } from './wasi/command.js'
import type { CompiledWasiCommand } from './wasi/command.js'
import { looksLikeWasi } from './wasi/inspect.js'

export type FunctionAbi = 'v1' | 'wasi'
export const FUNCTION_ABIS: readonly FunctionAbi[] = ['v1', 'wasi']

export type CompiledFunctionModule =
  | { readonly abi: 'v1', readonly compiled: CompiledModule }
  | { readonly abi: 'wasi', readonly compiled: CompiledWasiCommand }

/** Compiles and checks `bytes` for their ABI; a WASI command's memory is capped at `capPages`. */
export async function compileFunctionModule (bytes: Uint8Array, capPages: number): Promise<CompiledFunctionModule> {
  let module: WebAssembly.Module
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)
  } catch (err) {
    throw new ModuleRejectedError(`is not valid WebAssembly: ${(err as Error).message}`)
  }
  if (looksLikeWasi(module)) return { abi: 'wasi', compiled: await compileWasiCommand(bytes, capPages) }
  return { abi: 'v1', compiled: await compileModule(bytes) }
}
