/**
 * The edge-grid function ABI, version 1: the one contract between the host and a WebAssembly module,
 * whatever language the module was written in. The full text is in core/abi/README.md.
 *
 * In short: a module imports its linear memory as `env.memory` (so the host sets the maximum), may import
 * only `grid.emit` and `grid.fail`, exports the marker `grid_abi_1` (any kind), `grid_alloc(size) -> ptr`,
 * and any number of functions `(ptr: i32, len: i32) -> void`. The host writes the msgpack-encoded input
 * item into a buffer from `grid_alloc`, calls the function, and collects every `grid.emit(port, ptr, len)`
 * (a msgpack-encoded output on output port `port`) made during the call.
 */

export const ABI_VERSION = 1
/** Export whose presence (any kind: global, function) declares ABI v1. Later versions export `grid_abi_2`, … */
export const ABI_MARKER_EXPORT = `grid_abi_${ABI_VERSION}`
export const ALLOC_EXPORT = 'grid_alloc'
export const MEMORY_IMPORT = { module: 'env', name: 'memory' } as const
export const IMPORT_MODULE = 'grid'
/** `emit(port: i32, ptr: i32, len: i32) -> void` */
export const EMIT_IMPORT = 'emit'
/** `fail(ptr: i32, len: i32) -> never`: UTF-8 message; ends the call as a failed job. */
export const FAIL_IMPORT = 'fail'

/** One output of a call: the port index and the msgpack bytes (a copy, owned by the caller). */
export interface Emitted {
  readonly port: number
  readonly bytes: Uint8Array
}

export interface AbiLimits {
  /** Maximum linear memory in 64 KiB pages (the host's `env.memory` maximum). */
  readonly maxMemoryPages: number
  /** Maximum total bytes emitted by one call. */
  readonly maxOutputBytes: number
}

export const DEFAULT_LIMITS: AbiLimits = {
  maxMemoryPages: 4096, // 256 MiB: room for image rows and text, far from exhausting a volunteer's RAM
  maxOutputBytes: 16 * 1024 * 1024
}
