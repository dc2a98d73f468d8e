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
import type { ExportFn } from '../abi/host.js'
import { JsRunner } from '../abi/js/host.js'
import { WasiRunner } from '../abi/wasi/command.js'
import { ModuleRejectedError, errorToData } from '../errors.js'
import type { FunctionRef } from '../jobs.js'
import type { AddModule, RunBatch, SandboxInit } from './messages.js'
import { unpackJobs } from './packing.js'
import { OutcomeWriter } from './outcome-buffer.js'
import type { SandboxPort } from './sandbox-host.js'
import { ProgressReporter } from './timeout-watch.js'
import { chunkView } from '../run/chunk-view.js'
import type { ChunkView } from '../run/chunk-view.js'
import { runChain, runChainChunk, runChainChunkAsync } from '../run/chain-chunk.js'
import type { ChainResult, StageCall } from '../run/chain-chunk.js'
import { PackedCombiner, combineOutputs } from '../run/combiner.js'
import { PackedScratch } from '../run/packed-scratch.js'
import type { BatchFn, PackedJob } from './packing.js'

interface LoadedModule {
  readonly message: AddModule
  /** Undefined until first used, and again after a failed call left it broken. */
  instance: FunctionInstance | undefined
  /** A WASI command's runner (it keeps a clean instance between calls when it may). */
  wasi?: WasiRunner
  /** A JavaScript function's runner (its QuickJS context lives between calls). */
  js?: JsRunner
}

/** Packed bytes an item is expected to emit, to size a chunk's record at once (it grows by doubling past it). */
const PACKED_BYTES_GUESS = 12

interface Settings {
  readonly init: SandboxInit
  readonly progress: ProgressReporter
}

/** Serves the pool over `port` until the sandbox is terminated. */
export function serveSandbox (port: SandboxPort): void {
  const modules = new Map<string, LoadedModule>()
  let settings: Settings | undefined
  // a combined chunk's outputs before folding, and the fold's buffers: reused chunk after chunk
  const mapped = new PackedScratch()
  const combiner = new PackedCombiner()

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
   * A chunk (a range, or items carried in the input: chunk-view.ts) through its chain of functions
   * (chain-chunk.ts; an unchained chunk is a chain of one): each item through every function, the tail's
   * outputs together, in a record of `writer`. When all are ABI v1 functions it is one plain synchronous loop
   * (no promise per item) whose tail emits straight into the outcome buffer in the wire's packed layout
   * (FunctionInstance.callPacked: no object per output; a range item's msgpack is written straight into the
   * guest's memory): the grid's cheapest path. An unchained chunk with combiners folds its outputs per key
   * (combiner.ts): packed into a scratch buffer first, then folded into the outcome buffer (runCombined);
   * with WASI or JavaScript functions, as objects.
   */
  async function runChunk (job: PackedJob, batch: RunBatch, init: SandboxInit, writer: OutcomeWriter): Promise<void> {
    const head: BatchFn = batch.fns[job.fn]
    const fns = job.chain > 0 ? [head, ...batch.chains![job.chain - 1].map(k => batch.fns[k])] : [head]
    const view = chunkView(job.chunk!, job.input)
    const abiV1 = (fn: FunctionRef): boolean => modules.get(fn.module)?.message.abi === undefined && fn.wasi === undefined && fn.js !== true
    const plain = fns.every(abiV1)
    const combined = fns.length === 1 && head.combine != null
    if (plain && combined && head.combine!.every(c => abiV1(c.fn))) {
      await runCombined(view, head, init, writer)
      return
    }
    if (plain && !combined) {
      const calls: StageCall[] = []
      for (const fn of fns) {
        const instance = await instanceOf(fn.module, init)
        // looked up at the first call, so that a missing export fails the item that reaches it, as `call` does
        let exported: ExportFn | undefined
        calls.push((src, at, len, out) => { instance.callPacked(exported ??= instance.exportFn(fn.export), src, at, len, out) })
      }
      const tail = calls.pop()!
      writer.beginPacked(fns.length, view.count * PACKED_BYTES_GUESS)
      const run = runChain(view, calls, (src, at, len) => { tail(src, at, len, writer) })
      if (run.ok) writer.endPacked(run.ms, fns.length > 1 ? run.emitted : undefined)
      else {
        writer.abortPacked()
        writer.error(run.error, run.item, fns.length > 1 ? run.stage : undefined)
      }
      return
    }
    const calls = fns.map(fn => async (item: Uint8Array) => await call(fn, item, init))
    const result = plain ? await runPlainChunk(view, fns, init) : await runChainChunkAsync(view, calls)
    if (!result.ok) {
      writer.error(result.error, result.item, fns.length > 1 ? result.stage : undefined)
      return
    }
    if (fns.length > 1) {
      writer.chain(result.outputs, result.ms, result.emitted)
      return
    }
    if (!combined) {
      writer.chunk(result.outputs, result.ms)
      return
    }
    const started = performance.now() - result.ms
    const outputs = await combineOutputs(result.outputs, head.combine!, async (f, item) => await call(f, item, init))
    writer.chunk(outputs as Emitted[], performance.now() - started)
  }

  /**
   * An unchained ABI v1 chunk with combiners: its outputs packed as emitted into `mapped`, then folded per key
   * with synchronous combine calls straight into a packed record of `writer` (no object per pair).
   */
  async function runCombined (view: ChunkView, head: BatchFn, init: SandboxInit, writer: OutcomeWriter): Promise<void> {
    const instance = await instanceOf(head.module, init)
    const combine = head.combine!
    const instances: FunctionInstance[] = []
    for (const c of combine) instances.push(await instanceOf(c.fn.module, init))
    // looked up at the first call: a missing map export fails the item that reaches it, as `call` does; a
    // missing combine export leaves the chunk uncombined, as a failing combine call does
    let exported: ExportFn | undefined
    const combineFns: Array<ExportFn | undefined> = combine.map(() => undefined)
    mapped.reset()
    const run = runChain(view, [], (src, at, len) => { instance.callPacked(exported ??= instance.exportFn(head.export), src, at, len, mapped) })
    if (!run.ok) {
      writer.error(run.error, run.item)
      return
    }
    const started = performance.now() - run.ms
    writer.beginPacked(1, Math.min(mapped.length, 1 << 16))
    combiner.combine(mapped.bytes, mapped.length, combine.map(c => c.port), (c, input, len, out) => {
      instances[c].callPacked(combineFns[c] ??= instances[c].exportFn(combine[c].fn.export), input, 0, len, out)
    }, writer)
    writer.endPacked(performance.now() - started)
  }

  /** An ABI v1 chunk whose outputs are wanted as objects (a combiner folds them): the synchronous loop. */
  async function runPlainChunk (view: ChunkView, fns: readonly BatchFn[], init: SandboxInit): Promise<ChainResult> {
    const calls: Array<(item: Uint8Array) => Emitted[]> = []
    for (const fn of fns) {
      const instance = await instanceOf(fn.module, init)
      calls.push(item => instance.call(fn.export, item))
    }
    return runChainChunk(view, calls)
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
        const job = jobs[i]
        if (job.chunk != null) await runChunk(job, batch, init, writer)
        else writer.ok(await call(fn, job.input, init))
      } catch (err) {
        writer.abortPacked()
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
