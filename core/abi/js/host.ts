/**
 * The JavaScript function host: runs an ES module's exported function inside QuickJS (engine.ts), one
 * runtime and context per module per sandbox, kept between calls (as ABI v1 keeps its instance) and
 * replaced after any failed call. The contract is in core/abi/README.md, "JavaScript functions".
 *
 * Inside: only the ECMAScript built-ins (no fetch, timers, console, file system, `process`), Math.random
 * and Date made deterministic per job (prelude.ts), the runtime's memory capped at the ABI's memory cap.
 * Values cross as JSON text: the host decodes the msgpack item and writes it as JSON; the outputs come
 * back as JSON and are encoded to msgpack.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten-core'
import { shouldInterruptAfterDeadline } from 'quickjs-emscripten-core'
import type { AbiLimits, Emitted } from '../abi.js'
import { decodeValue, encodeValue } from '../../codec.js'
import { JsFunctionError, JsValueError, ModuleRejectedError, OutputLimitError } from '../../errors.js'
import { SeededRandom } from '../wasi/seeded-random.js'
import { loadQuickJs } from './engine.js'
import { PRELUDE } from './prelude.js'

/** QuickJS's own stack limit: deep recursion fails as a RangeError instead of overflowing the engine. */
const MAX_STACK_BYTES = 256 * 1024

interface Loaded {
  readonly runtime: QuickJSRuntime
  readonly context: QuickJSContext
  readonly call: QuickJSHandle
  readonly functions: QuickJSHandle
  readonly namespace: QuickJSHandle
  readonly exports: Map<string, QuickJSHandle>
}

/** `Name: message (at file:line)` from a thrown JS value. */
function describeThrown (context: QuickJSContext, handle: QuickJSHandle): string {
  const value: unknown = context.dump(handle)
  if (value !== null && typeof value === 'object') {
    const { name, message, stack } = value as { name?: unknown, message?: unknown, stack?: unknown }
    const where = typeof stack === 'string' ? /\(?([^\s()]+:\d+(?::\d+)?)\)?/.exec(stack.split('\n').find(l => l.trim() !== '') ?? '')?.[1] : undefined
    const text = `${String(name ?? 'Error')}: ${String(message ?? '')}`
    return where !== undefined ? `${text} (at ${where})` : text
  }
  return `threw ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`
}

function dispose (loaded: Loaded): void {
  try {
    for (const handle of loaded.exports.values()) handle.dispose()
    loaded.call.dispose()
    loaded.functions.dispose()
    loaded.namespace.dispose()
    loaded.context.dispose()
    loaded.runtime.dispose()
  } catch {
    // a runtime left inconsistent (out of memory) may refuse to free cleanly; it is dropped either way
  }
}

/** Evaluates `source` as an ES module in a fresh runtime with the prelude; ModuleRejectedError if it does not load. */
function open (engine: QuickJSWASMModule, source: string, fileName: string, memoryBytes: number, deadlineMs?: number): Loaded {
  const runtime = engine.newRuntime()
  runtime.setMemoryLimit(memoryBytes)
  runtime.setMaxStackSize(MAX_STACK_BYTES)
  if (deadlineMs !== undefined) runtime.setInterruptHandler(shouldInterruptAfterDeadline(deadlineMs))
  const context = runtime.newContext()
  const fail = (err: Error): never => {
    try { context.dispose(); runtime.dispose() } catch {}
    throw err
  }
  const prelude = context.evalCode(PRELUDE, 'edge-grid-prelude.js')
  if (prelude.error !== undefined) {
    const text = describeThrown(context, prelude.error)
    prelude.error.dispose()
    return fail(new Error(`the JS prelude failed: ${text}`))
  }
  const call = context.getProp(prelude.value, 'call')
  const functions = context.getProp(prelude.value, 'functions')
  prelude.value.dispose()
  const evaluated = context.evalCode(source, fileName, { type: 'module' })
  if (evaluated.error !== undefined) {
    const text = describeThrown(context, evaluated.error)
    evaluated.error.dispose()
    call.dispose()
    functions.dispose()
    return fail(new ModuleRejectedError(`does not load as a JavaScript module: ${text}`))
  }
  return { runtime, context, call, functions, namespace: evaluated.value, exports: new Map() }
}

/** The names of the functions `loaded`'s module exports (`default` for `export default function`). */
function exportedFunctions (loaded: Loaded): string[] {
  const { context } = loaded
  const result = context.callFunction(loaded.functions, context.undefined, loaded.namespace)
  if (result.error !== undefined) {
    result.error.dispose()
    return []
  }
  const names = context.dump(result.value) as string[]
  result.value.dispose()
  return names
}

/**
 * Checks a JS function's source as flow validation does: it must parse and load as an ES module (top-level
 * code stopped after `deadlineMs`), and its exported function names are returned.
 */
export async function inspectJsModule (source: string, fileName: string, memoryBytes: number, timeLimitMs = 2000): Promise<string[]> {
  const loaded = open(await loadQuickJs(), source, fileName, memoryBytes, Date.now() + timeLimitMs)
  try {
    return exportedFunctions(loaded)
  } finally {
    dispose(loaded)
  }
}

/** The item as JSON text: byte arrays and integers beyond ±2^53 (decoded as BigInt) have no JSON form. */
function inputJson (input: Uint8Array): string {
  return JSON.stringify(decodeValue(input), function (this: Record<string, unknown>, key: string, converted: unknown) {
    const value = this[key] // before toJSON: Node decodes msgpack bin as a Buffer, whose toJSON hides it
    if (typeof value === 'bigint') throw new JsValueError(`the item holds the integer ${value}, beyond ±2^53: JS functions take values as JSON`)
    if (value instanceof Uint8Array) throw new JsValueError(`the item holds a byte array (${value.length} bytes): JS functions take values as JSON (strings, numbers, booleans, null, arrays, objects)`)
    return converted
  }) ?? 'null'
}

/** Runs the functions of one JS module (the source text, as shipped by hash). */
export class JsRunner {
  private loaded: Loaded | undefined

  constructor (private readonly source: string, private readonly fileName = 'function.js') {}

  /** Calls export `name` on the msgpack item `input`; its outputs (msgpack) or a thrown GridError. */
  async run (name: string, input: Uint8Array, limits: AbiLimits): Promise<Emitted[]> {
    const json = inputJson(input)
    const engine = await loadQuickJs()
    const loaded = this.loaded ??= open(engine, this.source, this.fileName, limits.maxMemoryPages * 65536)
    const { context } = loaded
    let fn = loaded.exports.get(name)
    if (fn === undefined) {
      const handle = context.getProp(loaded.namespace, name)
      if (context.typeof(handle) !== 'function') {
        handle.dispose()
        const list = exportedFunctions(loaded)
        throw new ModuleRejectedError(`exports no function "${name}"; its functions: ${list.length === 0 ? '(none)' : list.join(', ')}`)
      }
      loaded.exports.set(name, fn = handle)
    }
    const seed = new SeededRandom(input)
    const args = [fn, context.newString(json), context.newNumber(seed.next()), context.newNumber(seed.next()), context.newNumber(seed.next())]
    const result = context.callFunction(loaded.call, context.undefined, ...args)
    for (let i = 1; i < args.length; i++) args[i].dispose()
    if (result.error !== undefined) {
      let text = describeThrown(context, result.error)
      result.error.dispose()
      if (/out of memory/i.test(text)) text += ` (the memory cap is ${limits.maxMemoryPages * 65536 / 1048576} MiB)`
      // The context stays: a thrown exception (out of memory and stack overflow included) leaves QuickJS
      // consistent, and the garbage of the failed call is collected as any other.
      throw new JsFunctionError(text)
    }
    const text = context.getString(result.value)
    result.value.dispose()
    const outputs = JSON.parse(text) as Array<[number, unknown]>
    const emitted: Emitted[] = []
    let total = 0
    for (const [port, value] of outputs) {
      const bytes = encodeValue(value)
      total += bytes.length
      if (total > limits.maxOutputBytes) throw new OutputLimitError(`emitted more than ${limits.maxOutputBytes} bytes in one call`)
      emitted.push({ port, bytes })
    }
    return emitted
  }

  /** Frees the engine's runtime (the sandbox drops a runner it no longer needs). */
  close (): void {
    if (this.loaded !== undefined) dispose(this.loaded)
    this.loaded = undefined
  }
}
