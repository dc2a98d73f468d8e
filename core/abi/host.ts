/**
 * The host side of ABI v1: compiles and checks modules, instantiates them with exactly the ABI's imports and a
 * memory whose maximum the host chooses, and calls functions with msgpack bytes in and out.
 * Platform-neutral: the same code runs in Node worker_threads and in browser Web Workers.
 */
import { ALLOC_EXPORT, DEFAULT_LIMITS, EMIT_IMPORT, FAIL_IMPORT, IMPORT_MODULE, MEMORY_IMPORT } from './abi.js'
import type { AbiLimits, Emitted } from './abi.js'
import { inspectModule } from './inspect.js'
import type { ModuleInfo } from './inspect.js'
import { ModuleRejectedError, OutputLimitError, WasmTrapError } from '../errors.js'
import { memoryImportLimits } from './binary.js'
import type { MemoryLimits } from './binary.js'
import { msgpackNumberLength, writeMsgpackNumber } from '../msgpack-number.js'

const utf8 = new TextDecoder('utf-8', { fatal: false })

export interface CompiledModule {
  readonly module: WebAssembly.Module
  readonly info: ModuleInfo
  /** Limits of the module's `env.memory` import; pass them to `FunctionInstance.instantiate`. */
  readonly memory: MemoryLimits
}

/** Compiles bytes and applies the static ABI checks; throws ModuleRejectedError. */
export async function compileModule (bytes: Uint8Array): Promise<CompiledModule> {
  let module: WebAssembly.Module
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)
  } catch (err) {
    throw new ModuleRejectedError(`is not valid WebAssembly: ${(err as Error).message}`)
  }
  const info = inspectModule(module)
  return { module, info, memory: memoryImportLimits(bytes) ?? { minimumPages: 1 } }
}

/** Lower-case hex sha256: the content hash that names a module everywhere (jobs, code shipping, caches). */
export async function sha256Hex (bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
  let hex = ''
  for (const b of digest) hex += b.toString(16).padStart(2, '0')
  return hex
}

/** Thrown from inside `grid.fail` to unwind the WASM stack; turned into WasmTrapError by `call`. */
class GuestFailure extends Error {}

/**
 * Where the packed call variants put each output instead of an Emitted object: appended in the wire's packed
 * layout (core/protocol/packed-outputs.ts). `src` is the instance's memory; the sink copies `len` bytes at `ptr`.
 */
export interface PackedSink {
  append: (port: number, src: Uint8Array, ptr: number, len: number) => void
}

/** An export of the instance, looked up once (`exportFn`) for a loop that calls it per item. */
export type ExportFn = (ptr: number, len: number) => void

/** Ports a packed output can name (one byte in the packed layout). */
const MAX_PACKED_PORT = 255

export class FunctionInstance {
  private outputs: Emitted[] = []
  private outputBytes = 0
  /** Set during a packed call: outputs go there, not into `outputs`. */
  private sink: PackedSink | undefined
  private _broken = false
  private view: Uint8Array
  private readonly alloc: (size: number) => number

  private constructor (
    private readonly instance: WebAssembly.Instance,
    private readonly memory: WebAssembly.Memory,
    private readonly limits: AbiLimits,
    private readonly maxBytes: number
  ) {
    this.view = new Uint8Array(memory.buffer)
    this.alloc = instance.exports[ALLOC_EXPORT] as (size: number) => number
  }

  /**
   * Instantiates a module that passed `compileModule`, with exactly the ABI's imports and a memory capped at
   * `limits.maxMemoryPages` (or the module's own maximum, if lower).
   */
  static async instantiate (module: WebAssembly.Module, memoryLimits: MemoryLimits, limits: AbiLimits = DEFAULT_LIMITS): Promise<FunctionInstance> {
    const initial = memoryLimits.minimumPages
    const maximum = Math.min(limits.maxMemoryPages, memoryLimits.maximumPages ?? Infinity)
    if (initial > maximum) {
      throw new ModuleRejectedError(`asks for ${initial} memory pages at start, above the cap of ${maximum}`)
    }
    const memory = new WebAssembly.Memory({ initial, maximum })
    // `self` is bound after instantiation; the imports close over it.
    let self: FunctionInstance | undefined
    const imports = {
      [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory },
      [IMPORT_MODULE]: {
        [EMIT_IMPORT]: (port: number, ptr: number, len: number) => { self!.emit(port, ptr, len) },
        [FAIL_IMPORT]: (ptr: number, len: number) => { throw new GuestFailure(self!.readString(ptr, len)) }
      }
    }
    let instance: WebAssembly.Instance
    try {
      instance = await WebAssembly.instantiate(module, imports)
    } catch (err) {
      throw new ModuleRejectedError(`could not be instantiated: ${(err as Error).message}`)
    }
    self = new FunctionInstance(instance, memory, limits, maximum * 65536)
    return self
  }

  /** True after a failed call: the guest's state is unknown, so callers make a fresh instance. */
  get broken (): boolean {
    return this._broken
  }

  /** The export `exportName`; throws ModuleRejectedError when the module has no such function. */
  exportFn (exportName: string): ExportFn {
    const fn = this.instance.exports[exportName] as ExportFn | undefined
    if (typeof fn !== 'function') throw new ModuleRejectedError(`has no exported function "${exportName}"`)
    return fn
  }

  /** Calls `exportName` with one msgpack-encoded input; returns every output emitted during the call. */
  call (exportName: string, input: Uint8Array): Emitted[] {
    const fn = this.exportFn(exportName)
    this.sink = undefined
    this.outputs = []
    this.outputBytes = 0
    try {
      fn(this.place(input), input.length)
      return this.outputs
    } catch (err) {
      throw this.failed(err)
    } finally {
      this.outputs = this._broken ? [] : this.outputs
    }
  }

  /**
   * The same call, each output appended to `sink` (no object per output). The input: `len` msgpack bytes of
   * `src` from `at` (copied into the guest's memory), or, when `src` is a number, a range item whose msgpack
   * encoding is written straight into memory (the bytes `encodeValue` gives; `at` and `len` unused).
   */
  callPacked (fn: ExportFn, src: Uint8Array | number, at: number, len: number, sink: PackedSink): void {
    this.sink = sink
    this.outputBytes = 0
    try {
      if (typeof src === 'number') {
        len = msgpackNumberLength(src)
        const ptr = this.reserveInput(len)
        writeMsgpackNumber(this.view, ptr, src)
        fn(ptr, len)
      } else {
        const ptr = this.reserveInput(len)
        // short inputs byte by byte: a subarray per item would cost more than the copy
        if (len <= 16) for (let k = 0; k < len; k++) this.view[ptr + k] = src[at + k]
        else this.view.set(src.subarray(at, at + len), ptr)
        fn(ptr, len)
      }
    } catch (err) {
      throw this.failed(err)
    } finally {
      this.sink = undefined
    }
  }

  /** Copies `input` into a buffer from the guest's allocator; returns where. */
  private place (input: Uint8Array): number {
    const ptr = this.reserveInput(input.length)
    this.view.set(input, ptr)
    return ptr
  }

  /** `len` bytes from the guest's allocator, checked to lie in memory (the view is fresh after it). */
  private reserveInput (len: number): number {
    const ptr = this.alloc(len) >>> 0
    if (!this.inMemory(ptr + len)) throw new WasmTrapError(`${ALLOC_EXPORT}(${len}) returned ${ptr}, outside memory`)
    return ptr
  }

  /** Marks the instance broken and turns what a call threw into the error the job fails with. */
  private failed (err: unknown): Error {
    this._broken = true
    if (err instanceof WasmTrapError || err instanceof OutputLimitError) return err
    if (err instanceof GuestFailure) return new WasmTrapError(err.message)
    if (err instanceof WebAssembly.RuntimeError) return new WasmTrapError(`trap: ${err.message}${this.atMemoryCap() ? ` (memory is at its cap of ${this.memory.buffer.byteLength / 65536} pages, ${this.memory.buffer.byteLength >> 20} MiB: out of memory?)` : ''}`)
    if (err instanceof RangeError) return new WasmTrapError(`trap: ${err.message}`) // e.g. stack overflow
    return new WasmTrapError(`host error: ${(err as Error).message ?? String(err)}`)
  }

  /** Memory in use by the instance now, in bytes (for tests and reports). */
  get memoryBytes (): number {
    return this.memory.buffer.byteLength
  }

  /** True when the memory cannot grow any more: a trap then is most likely an allocation failure. */
  private atMemoryCap (): boolean {
    try {
      this.memory.grow(0)
      return this.memory.buffer.byteLength >= this.maxBytes
    } catch {
      return true
    }
  }

  private refreshView (): void {
    // memory.grow detaches the old ArrayBuffer: views must be re-created after guest code grew it
    if (this.view.buffer !== this.memory.buffer) this.view = new Uint8Array(this.memory.buffer)
  }

  /**
   * Whether bytes up to `end` lie in memory, the view made current if it was not. A detached view (memory
   * grew) has length 0, so the bounds check itself finds out: the view is re-made only after a grow.
   */
  private inMemory (end: number): boolean {
    if (end <= this.view.length && this.view.length > 0) return true
    this.refreshView()
    return end <= this.view.length
  }

  private emit (port: number, ptr: number, len: number): void {
    ptr >>>= 0
    len >>>= 0
    if (!this.inMemory(ptr + len)) throw new WasmTrapError(`${IMPORT_MODULE}.${EMIT_IMPORT}: bytes ${ptr}..${ptr + len} are outside memory`)
    this.outputBytes += len
    if (this.outputBytes > this.limits.maxOutputBytes) {
      throw new OutputLimitError(`emitted more than ${this.limits.maxOutputBytes} bytes in one call`)
    }
    const sink = this.sink
    if (sink === undefined) {
      this.outputs.push({ port, bytes: this.view.slice(ptr, ptr + len) })
      return
    }
    if (port < 0 || port > MAX_PACKED_PORT) throw new OutputLimitError(`emitted on port ${port}: a chunk's outputs go on ports 0 to ${MAX_PACKED_PORT}`)
    sink.append(port, this.view, ptr, len)
  }

  private readString (ptr: number, len: number): string {
    this.refreshView()
    ptr >>>= 0
    len = Math.min(len >>> 0, 4096)
    if (ptr + len > this.view.length) return `(${IMPORT_MODULE}.${FAIL_IMPORT} with a message outside memory)`
    return utf8.decode(this.view.subarray(ptr, ptr + len))
  }
}
