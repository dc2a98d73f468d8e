/**
 * The host side of WASI commands as functions: compile once (memory capped, imports checked), then one call =
 * one run of `_start` with the item on stdin, on an instance exactly as fresh as a new one: a new instance, or
 * one whose memory was restored to its initial snapshot after a clean run (reuse.ts says when that is safe).
 * Costs are measured in core/abi/README.md ("WASI commands").
 * Platform-neutral: the same code runs in Node worker_threads and in browser Web Workers.
 */
import type { AbiLimits, Emitted } from '../abi.js'
import { ModuleRejectedError, OutputLimitError, WasiExitError, WasiIoError, WasmTrapError } from '../../errors.js'
import { inspectWasiModule } from './inspect.js'
import type { WasiIo } from './io.js'
import { outputsFrom, stdinFor } from './io.js'
import { capMemory } from './memory-cap.js'
import { mutableGlobalCount } from './reuse.js'
import { MEMORY_EXPORT, START_EXPORT } from './preview1.js'
import { ProcExit, WasiSystem } from './system.js'

/** Bytes of stderr kept for a failed job's message. */
export const MAX_STDERR_BYTES = 4096

export interface CompiledWasiCommand {
  readonly module: WebAssembly.Module
  /** The memory's limits after capping: the maximum is the cap (or the module's own lower maximum). */
  readonly minimumPages: number
  readonly maximumPages: number
  /** Whether an instance may serve another call after a clean run (reuse.ts). */
  readonly reusable: boolean
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
  const mutable = mutableGlobalCount(bytes)
  return { module, minimumPages: capped.minimumPages, maximumPages: capped.maximumPages, reusable: mutable !== undefined && mutable <= 1 }
}

async function compile (bytes: Uint8Array): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)
  } catch (err) {
    throw new ModuleRejectedError(`is not valid WebAssembly: ${(err as Error).message}`)
  }
}

interface Ready {
  readonly instance: WebAssembly.Instance
  readonly system: WasiSystem
  readonly memory: WebAssembly.Memory
}

/** Runs one command, call after call, in one thread: keeps a clean instance between calls when it may. */
export class WasiRunner {
  private spare: Ready | undefined
  /** The initial memory of every fresh instance (taken from the first one, before `_start`). */
  private snapshot: Uint8Array | undefined
  /** Instances created, for tests and benchmarks. */
  instances = 0

  constructor (readonly command: CompiledWasiCommand, private readonly reuse = command.reusable) {}

  /** Runs the command once on one msgpack-encoded item; returns its outputs or throws the job's failure. */
  run (io: WasiIo, input: Uint8Array, limits: AbiLimits): Emitted[] {
    const stdin = stdinFor(io, input)
    const ready = this.spare ?? this.fresh()
    this.spare = undefined
    const { instance, system, memory } = ready
    system.begin({ stdin, seed: input, maxOutputBytes: limits.maxOutputBytes, maxStderrBytes: MAX_STDERR_BYTES })
    try {
      (instance.exports[START_EXPORT] as () => void)()
    } catch (err) {
      if (!(err instanceof ProcExit)) throw failure(err, system, memory, this.command)
      if (err.code !== 0) throw new WasiExitError(`exited with code ${err.code}${stderrPart(system)}`)
      return outputsFrom(io, system.written()) // proc_exit(0) skipped the epilogues: no reuse
    }
    const outputs = outputsFrom(io, system.written())
    if (this.reuse && this.snapshot !== undefined && memory.buffer.byteLength === this.snapshot.length) {
      new Uint8Array(memory.buffer).set(this.snapshot)
      this.spare = ready
    }
    return outputs
  }

  private fresh (): Ready {
    const system = new WasiSystem()
    let instance: WebAssembly.Instance
    try {
      // Synchronous: sandboxes are workers, where any size may be instantiated so; the async form costs an
      // event-loop turn per call.
      instance = new WebAssembly.Instance(this.command.module, system.imports())
    } catch (err) {
      throw new ModuleRejectedError(`could not be instantiated: ${(err as Error).message}`)
    }
    this.instances++
    const memory = instance.exports[MEMORY_EXPORT] as WebAssembly.Memory
    system.memory = memory
    if (this.reuse && this.snapshot === undefined) this.snapshot = new Uint8Array(memory.buffer).slice()
    return { instance, system, memory }
  }
}

/** One run on a fresh instance (no reuse): for one-off calls and tests. */
export async function runWasiCommand (command: CompiledWasiCommand, io: WasiIo, input: Uint8Array, limits: AbiLimits): Promise<Emitted[]> {
  return new WasiRunner(command, false).run(io, input, limits)
}

function failure (err: unknown, system: WasiSystem, memory: WebAssembly.Memory, command: CompiledWasiCommand): Error {
  if (err instanceof OutputLimitError || err instanceof WasiIoError) return err
  const atCap = memory.buffer.byteLength >= command.maximumPages * 65536
  const cap = atCap ? ` (memory is at its cap of ${command.maximumPages} pages, ${(command.maximumPages * 65536) >> 20} MiB: out of memory?)` : ''
  const what = err instanceof WebAssembly.RuntimeError || err instanceof RangeError ? `trap: ${err.message}` : `host error: ${(err as Error).message ?? String(err)}`
  return new WasmTrapError(`${what}${cap}${stderrPart(system)}`)
}

function stderrPart (system: WasiSystem): string {
  const text = system.stderr()
  return text === '' ? ' (stderr was empty)' : `; stderr: ${text}`
}
