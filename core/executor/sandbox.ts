/**
 * The loop inside every sandbox: keeps one FunctionInstance per ABI v1 module (a WASI command gets a fresh
 * instance per call, core/abi/wasi/command.ts; the function's `wasi` field says which host to use; a
 * JavaScript function keeps one QuickJS context, core/abi/js/host.ts, `js`), runs each batch's jobs in order and
 * posts all outcomes in one transferred buffer. Before each job it publishes which job runs and since when
 * (timeout-watch.ts): WASM cannot be interrupted, so the pool watches that and stops this sandbox if a job
 * overruns its timeout.
 */
import type { Emitted } from '../abi/abi.js'
import { FunctionInstance } from '../abi/host.js'
import { JsRunner } from '../abi/js/host.js'
import { WasiRunner } from '../abi/wasi/command.js'
import { ModuleRejectedError, errorToData } from '../errors.js'
import type { FunctionRef } from '../jobs.js'
import type { AddModule, RunBatch, SandboxInit } from './messages.js'
import { OutcomeWriter, unpackJobs } from './packing.js'
import type { SandboxPort } from './sandbox-host.js'
import { ProgressReporter } from './timeout-watch.js'
import type { ChunkResult } from '../run/chunks.js'
import { chunkView, runChunkView } from '../run/chunk-view.js'
import type { ChunkView } from '../run/chunk-view.js'
import { combineOutputs } from '../run/combiner.js'
import type { BatchFn } from './packing.js'

interface LoadedModule {
  readonly message: AddModule
  /** Undefined until first used, and again after a failed call left it broken. */
  instance: FunctionInstance | undefined
  /** A WASI command's runner (it keeps a clean instance between calls when it may). */
  wasi?: WasiRunner
  /** A JavaScript function's runner (its QuickJS context lives between calls). */
  js?: JsRunner
}

interface Settings {
  readonly init: SandboxInit
  readonly progress: ProgressReporter
}

/** Serves the pool over `port` until the sandbox is terminated. */
export function serveSandbox (port: SandboxPort): void {
  const modules = new Map<string, LoadedModule>()
  let settings: Settings | undefined

  async function instanceOf (hash: string, init: SandboxInit): Promise<FunctionInstance> {
    const loaded = modules.get(hash)
    if (loaded == null) throw new Error(`module ${hash} is not known to this sandbox`)
    const message = loaded.message
    if (message.abi === 'js') throw new ModuleRejectedError(`${hash} is a JavaScript function's source, but the job calls it as WebAssembly`)
    if (loaded.instance == null || loaded.instance.broken) {
      loaded.instance = undefined
      loaded.instance = await FunctionInstance.instantiate(message.module, message.memory, init.limits)
    }
    return loaded.instance
  }

  async function call (fn: FunctionRef, input: Uint8Array, init: SandboxInit): Promise<Emitted[]> {
    const loaded = modules.get(fn.module)
    const message = loaded?.message
    if (loaded != null && message?.abi === 'js') {
      if (fn.js !== true) throw new ModuleRejectedError(`${fn.module} is a JavaScript function's source, but the function is declared as WebAssembly: declare it with "js"`)
      loaded.js ??= new JsRunner(message.source)
      return await loaded.js.run(fn.export, input, init.limits)
    }
    if (message != null && fn.js === true) throw new ModuleRejectedError(`${fn.module} is a WebAssembly module, but the function is declared "js": declare it with "wasm"`)
    if (loaded != null && message?.abi === 'wasi') {
      if (fn.wasi === undefined) throw new ModuleRejectedError(`${fn.module} is a WASI command, but the function is declared as ABI v1: declare it with "abi": "wasi"`)
      const { module, memory } = message
      loaded.wasi ??= new WasiRunner({ module, minimumPages: memory.minimumPages, maximumPages: memory.maximumPages ?? memory.minimumPages, reusable: message.reusable === true })
      return loaded.wasi.run(fn.wasi, input, init.limits)
    }
    if (message != null && fn.wasi !== undefined) throw new ModuleRejectedError(`${fn.module} is an ABI v1 module, but the function is declared "abi": "wasi": drop "abi" (ABI v1 is the default)`)
    const instance = await instanceOf(fn.module, init)
    return instance.call(fn.export, input)
  }

  /**
   * A chunk (a range, or items carried in the input): the function on each item in order, all outputs
   * together. An ABI v1 function is called in a plain loop (no promise per item): the grid's cheapest path,
   * as fast as calling it in a loop at home. Then its combiners fold the outputs per key (combiner.ts).
   */
  async function runChunk (fn: BatchFn, kind: 'range' | 'items', input: Uint8Array, init: SandboxInit): Promise<ChunkResult> {
    const started = performance.now()
    const view = chunkView(kind, input)
    const message = modules.get(fn.module)?.message
    let result: ChunkResult
    if (message != null && message.abi === undefined && fn.wasi === undefined && fn.js !== true) {
      const instance = await instanceOf(fn.module, init)
      result = runChunkView(view, item => instance.call(fn.export, item))
    } else result = await runChunkCalls(fn, view, init)
    if (!result.ok || fn.combine == null) return result
    const outputs = await combineOutputs(result.outputs, fn.combine, async (f, item) => await call(f, item, init))
    return { ok: true, outputs: outputs as Emitted[], ms: performance.now() - started }
  }

  /** A chunk of a WASI command or a JavaScript function: one awaited call per item. */
  async function runChunkCalls (fn: FunctionRef, view: ChunkView, init: SandboxInit): Promise<ChunkResult> {
    const started = performance.now()
    const outputs: Emitted[] = []
    for (let i = 0; i < view.count; i++) {
      try {
        for (const output of await call(fn, view.item(i), init)) outputs.push(output)
      } catch (err) {
        return { ok: false, error: view.error(i, err), item: i }
      }
    }
    return { ok: true, outputs, ms: performance.now() - started }
  }

  async function runBatch (batch: RunBatch, { init, progress }: Settings): Promise<void> {
    const jobs = unpackJobs(batch.jobs)
    let inputBytes = 0
    for (const job of jobs) inputBytes += job.input.length
    const writer = new OutcomeWriter(inputBytes + 16 * jobs.length)
    for (let i = 0; i < jobs.length; i++) {
      const fn = batch.fns[jobs[i].fn]
      progress.started(batch.seq, i)
      try {
        const chunk = jobs[i].chunk
        if (chunk != null) {
          const result = await runChunk(fn, chunk, jobs[i].input, init)
          if (result.ok) writer.chunk(result.outputs, result.ms)
          else writer.error(result.error, result.item)
        } else writer.ok(await call(fn, jobs[i].input, init))
      } catch (err) {
        writer.error(errorToData(err))
      }
    }
    progress.idle()
    const { buffer, byteLength } = writer.finish()
    port.post({ type: 'done', seq: batch.seq, outcomes: buffer, byteLength }, [buffer])
  }

  // Messages are handled one after another: a module that arrives while a batch awaits an instantiation is
  // stored before the next batch starts.
  let pending: Promise<void> = Promise.resolve()
  port.onMessage(message => {
    switch (message.type) {
      case 'init':
        settings = { init: message, progress: new ProgressReporter(message.progress, message.epochMs, m => { port.post(m) }) }
        port.post({ type: 'ready' })
        break
      case 'module':
        modules.set(message.hash, { message, instance: undefined })
        break
      case 'batch': {
        const current = settings
        pending = pending.then(async () => {
          if (current == null) throw new Error('batch before init')
          await runBatch(message, current)
        }).catch(err => {
          // A bug here must not leave the batch unanswered: the pool replaces this sandbox and re-runs the batch.
          port.post({ type: 'fault', message: err instanceof Error ? err.message : String(err) })
        })
        break
      }
    }
  })
}
