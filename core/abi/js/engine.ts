/**
 * The JavaScript engine of JS functions: QuickJS compiled to WebAssembly (the `quickjs-emscripten` family,
 * the sync `wasmfile` release variant). One import for every platform: the variant's package exports pick
 * the loader (Node reads the .wasm beside it; a browser bundle fetches the asset Vite emits for it), so the
 * same code runs in worker_threads, grid-worker processes and Web Workers. Loaded once per thread, on first
 * use: a sandbox that never runs a JS function never loads it.
 */
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core'
import type { QuickJSSyncVariant, QuickJSWASMModule } from 'quickjs-emscripten-core'
import variant from '@jitl/quickjs-wasmfile-release-sync'

let loading: Promise<QuickJSWASMModule> | undefined

/** The engine of this thread (the same promise on every call). */
export async function loadQuickJs (): Promise<QuickJSWASMModule> {
  loading ??= newQuickJSWASMModuleFromVariant(variant as unknown as QuickJSSyncVariant).catch(err => {
    loading = undefined
    throw err
  })
  return await loading
}
