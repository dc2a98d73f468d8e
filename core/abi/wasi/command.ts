/**
 * The host side of WASI commands as functions: compile once (memory capped, imports checked), then one call =
 * one fresh instance running `_start` with the item on stdin. A fresh instance per call is what makes a
 * command (which may keep global state, never frees at exit, and ends with `proc_exit`) behave as a pure
 * function; its cost is measured in core/abi/README.md ("WASI commands").
 * Platform-neutral: the same code runs in Node worker_threads and in browser Web Workers.
 */
import type { AbiLimits, Emitted } from '../abi.js'
import { ModuleRejectedError, OutputLimitError, WasiExitError, WasiIoError, WasmTrapError } from '../../errors.js'
import { inspectWasiModule } from './inspect.js'
import type { WasiIo } from './io.js'
import { outputsFrom, stdinFor } from './io.js'
import { capMemory } from './memory-cap.js'
import { MEMORY_EXPORT, START_EXPORT } from './preview1.js'
import { ProcExit, WasiSystem } from './system.js'

/** Bytes of stderr kept for a failed job's message. */
export const MAX_STDERR_BYTES = 4096

export interface CompiledWasiCommand {
  readonly module: WebAssembly.Module
  /** The memory's limits after capping: the maximum is the cap (or the module's own lower maximum). */
  readonly minimumPages: number
  readonly maximumPages: number
}

/** Caps the memory, compiles and checks a WASI command; throws ModuleRejectedError ("the module …"). */
export async function compileWasiCommand (bytes: Uint8Array, capPages: number): Promise<CompiledWasiCommand> {
  let capped
  try {
    capped = capMemory(bytes, capPages)
  } catch (err) {
    // A better reason (a forbidden memory import, not WebAssembly at all) comes from the checks below.
    inspectWasiModule(await compile(bytes))
    throw err
  }
  const module = await compile(capped.bytes)
  inspectWasiModule(module)
  return { module, minimumPages: capped.minimumPages, maximumPages: capped.maximumPages }
}

async function compile (bytes: Uint8Array): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)
  } catch (err) {
    throw new ModuleRejectedError(`is not valid WebAssembly: ${(err as Error).message}`)
  }
}

/** Runs the command once on one msgpack-encoded item; returns its outputs or throws the job's failure. */
export async function runWasiCommand (command: CompiledWasiCommand, io: WasiIo, input: Uint8Array, limits: AbiLimits): Promise<Emitted[]> {
  const system = new WasiSystem({ stdin: stdinFor(io, input), seed: input, maxOutputBytes: limits.maxOutputBytes, maxStderrBytes: MAX_STDERR_BYTES })
  let instance: WebAssembly.Instance
  try {
    instance = await WebAssembly.instantiate(command.module, system.imports())
  } catch (err) {
    throw new ModuleRejectedError(`could not be instantiated: ${(err as Error).message}`)
  }
  system.memory = instance.exports[MEMORY_EXPORT] as WebAssembly.Memory
  try {
    (instance.exports[START_EXPORT] as () => void)()
  } catch (err) {
    if (err instanceof ProcExit) {
      if (err.code !== 0) throw new WasiExitError(`exited with code ${err.code}${stderrPart(system)}`)
    } else if (err instanceof OutputLimitError || err instanceof WasiIoError) {
      throw err
    } else {
      const atCap = system.memory.buffer.byteLength >= command.maximumPages * 65536
      const cap = atCap ? ` (memory is at its cap of ${command.maximumPages} pages, ${(command.maximumPages * 65536) >> 20} MiB: out of memory?)` : ''
      const what = err instanceof WebAssembly.RuntimeError || err instanceof RangeError ? `trap: ${err.message}` : `host error: ${(err as Error).message ?? String(err)}`
      throw new WasmTrapError(`${what}${cap}${stderrPart(system)}`)
    }
  }
  return outputsFrom(io, system.written())
}

function stderrPart (system: WasiSystem): string {
  const text = system.stderr()
  return text === '' ? ' (stderr was empty)' : `; stderr: ${text}`
}
